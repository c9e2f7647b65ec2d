"""Metrics: hand-computable BLEU/METEOR values and the BERTScore/TAPAS/TAPEX code paths on tiny
random models."""

import json
import math
from pathlib import Path

import nltk
import pytest
import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import (
    BartConfig,
    BartForSequenceClassification,
    RobertaConfig,
    RobertaModel,
    TapasConfig,
    TapasForSequenceClassification,
    TapasTokenizer,
)

from distill_lib.data.table import Table
from distill_lib.metrics import faithfulness, text
from distill_lib.metrics.faithfulness import tapas_acc, tapex_acc
from distill_lib.metrics.text import bertscore, bleu, meteor
from distill_lib.models.tiny import train_tokenizer
from distill_lib.papers.scigen.metrics import score_scigen

SENTENCES = [
    "the cat sat on the mat",
    "a dog ran in the park",
    "the model is best on the hard subset",
    "bert acc is 1 and roberta acc is 3",
]
TABLES = [
    Table(
        "Table 1: c",
        ["Model", "Acc", "Acc", ""],
        [["[BOLD] BERT", "1", "2", "[EMPTY]"], ["x", "3", "1", "y"]],
    ),
    Table("Table 2: empty body", ["a"], []),
]


def test_bleu_identical_disjoint_and_hand_computed():
    assert bleu(["the cat sat on the mat"], ["the cat sat on the mat"]) == pytest.approx(100.0)
    assert bleu(["a b c d e f"], ["u v w x y z"]) == pytest.approx(0.0)
    # n-gram precisions 5/6, 3/5, 2/4, 1/3, equal lengths (no brevity penalty): BLEU = (1/12)^(1/4)
    assert bleu(["the cat sat on the mat"], ["the cat sat on a mat"]) == pytest.approx(
        100 * 12**-0.25, abs=1e-6
    )
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        bleu(["a", "b"], ["a"])


@pytest.fixture
def wordnet():
    reason = text.wordnet_missing_reason()
    if reason:
        pytest.skip(reason)


def test_meteor_identical_hand_computed_and_ordering(wordnet):
    # all 6 unigrams match in one chunk: Fmean = 1, penalty = 0.5 * (1/6)^3
    identical = meteor(["the cat sat on the mat"], ["the cat sat on the mat"]).value
    assert identical == pytest.approx(1 - 0.5 * (1 / 6) ** 3)
    partial = meteor(["the cat sat on a rug"], ["the cat sat on the mat"]).value
    disjoint = meteor(["a dog ran"], ["the cat sat on the mat"]).value
    assert identical > partial > disjoint == 0.0


def test_meteor_uses_wordnet_synonyms(wordnet):
    # NLTK looks synonyms up after stemming: car/auto match through WordNet, house/auto do not
    synonym = meteor(["a car stops"], ["an auto stops"]).value
    unrelated = meteor(["a house stops"], ["an auto stops"]).value
    assert synonym > unrelated > 0.0


def test_meteor_without_wordnet_reports_instead_of_scoring(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "NLTK_DATA_DIR", tmp_path / "absent")
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    result = meteor(["a b"], ["a b"])
    assert result.value is None and "make wordnet" in result.reason


def test_the_missing_wordnet_reason_names_no_machine_path(monkeypatch):
    """The reason lands in committed records: folders below the project are named relative to it,
    NLTK's own search list (home and venv folders) is not spelled out."""
    from distill_lib.config import PROJECT_ROOT

    monkeypatch.setattr(text, "NLTK_DATA_DIR", PROJECT_ROOT / "cache" / "absent-nltk")
    monkeypatch.setattr(nltk.data, "find", lambda *_: (_ for _ in ()).throw(LookupError()))
    reason = text.wordnet_missing_reason()
    assert "cache/absent-nltk" in reason and "make wordnet" in reason
    assert str(PROJECT_ROOT) not in reason and "/root" not in reason


@pytest.fixture(scope="module")
def tiny_roberta(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("roberta")
    tokenizer = train_tokenizer(SENTENCES * 3, vocab_size=300)
    tokenizer.model_max_length = 64  # bert-score truncates to this
    tokenizer.save_pretrained(directory)
    torch.manual_seed(0)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=70,
        pad_token_id=tokenizer.pad_token_id,
    )
    RobertaModel(config).save_pretrained(directory)
    return directory


def test_bertscore_on_a_tiny_local_model(tiny_roberta):
    identical = bertscore(
        ["the cat sat on the mat"], ["the cat sat on the mat"], tiny_roberta, num_layers=2
    )
    partial = bertscore(
        ["the cat sat in the park"], ["the cat sat on the mat"], tiny_roberta, num_layers=2
    )
    disjoint = bertscore(["bert acc"], ["the cat sat on the mat"], tiny_roberta, num_layers=2)
    assert identical.value == pytest.approx(1.0, abs=1e-5) and identical.details["hash"].endswith(
        f"_L2_no-idf_version=0.3.12(hug_trans={transformers.__version__})"
    )
    assert identical.value > partial.value > disjoint.value


def test_bertscore_unavailable_model_is_reported(tmp_path, monkeypatch):
    missing = bertscore(["a"], ["b"], tmp_path / "no-model", num_layers=2)
    assert missing.value is None and "not found" in missing.reason
    with pytest.raises(ValueError, match="num_layers is required"):
        bertscore(["a"], ["b"], "some-org/unknown-model")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no retries against the unreachable hub
    offline = bertscore(["a"], ["b"], "roberta-large")
    assert offline.value is None and "roberta-large" in offline.reason


@pytest.fixture(scope="module")
def tiny_tapas(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("tapas")
    words = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        "[EMPTY]",
        *sorted(set(" ".join(SENTENCES).split())),
    ]
    (directory / "vocab.txt").write_text("\n".join(words) + "\n")
    TapasTokenizer(str(directory / "vocab.txt"), model_max_length=64).save_pretrained(directory)
    torch.manual_seed(0)
    config = TapasConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=2,
    )
    TapasForSequenceClassification(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def tiny_tapex(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("tapex")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(SENTENCES + ["col : model | acc row 1 : bert | 1"], trainer=trainer)
    bpe.model.save(str(directory))  # vocab.json + merges.txt, as in the TAPEX checkpoints
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=bpe.get_vocab_size(),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=1024,
        id2label={0: "Refused", 1: "Entailed"},
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    BartForSequenceClassification(config).save_pretrained(directory)
    return directory


def assert_valid_accuracy(result, n: int) -> None:
    assert result.reason == "" and 0.0 <= result.value <= 1.0 and result.details["n"] == n
    assert 0.0 <= result.details["mean_p_entailed"] <= 1.0
    assert result.value == pytest.approx(result.details["n_entailed"] / n)


def test_tapas_acc_runs_end_to_end_on_a_tiny_model(tiny_tapas):
    assert_valid_accuracy(tapas_acc(SENTENCES[2:], TABLES, model=tiny_tapas), n=2)


@pytest.mark.parametrize("paper_compat", [False, True])
def test_tapex_acc_runs_end_to_end_on_a_tiny_model(tiny_tapex, paper_compat):
    result = tapex_acc(SENTENCES[2:], TABLES, model=tiny_tapex, paper_compat=paper_compat)
    assert_valid_accuracy(result, n=2)
    assert result.name == ("tapex_acc_paper_compat" if paper_compat else "tapex_acc")


def test_tapex_input_uses_the_cleaned_table_with_unique_headers(tiny_tapex):
    _, tokenizer = faithfulness.load_tapex(str(tiny_tapex))
    frame = faithfulness.tapex_frame(TABLES[0])
    assert faithfulness.tapex_text(tokenizer, "The Model", frame) == (
        "the model col : model | acc | acc_2 | col_4 row 1 : bert | 1 | 2 |  row 2 : x | 3 | 1 | y"
    )
    compat = faithfulness.tapex_frame(TABLES[0], paper_compat=True)
    assert list(compat.columns) == ["Model", "Acc", ""] and compat.shape == (1, 3)
    assert compat.iloc[0, 1] == "['1', '3', '2', '1']"  # the reference's merged duplicate column


def test_batched_scores_equal_item_by_item_scores(tiny_tapex):
    classifier, tokenizer = faithfulness.load_tapex(str(tiny_tapex))
    encode = [
        tokenizer(
            faithfulness.tapex_text(tokenizer, s, faithfulness.tapex_frame(t)), return_tensors="pt"
        )
        for s, t in zip(SENTENCES[2:], TABLES, strict=True)
    ]
    encoded = [{key: item[key][0] for key in ("input_ids", "attention_mask")} for item in encode]
    batched = faithfulness.entailed_probabilities(classifier, encoded, batch_size=2)
    single = [
        faithfulness.entailed_probabilities(classifier, [item], batch_size=1)[0] for item in encoded
    ]
    assert batched == pytest.approx(single, abs=1e-5) and all(0.0 <= p <= 1.0 for p in batched)


def test_missing_weights_are_reported_not_computed(tmp_path, monkeypatch):
    for metric in (tapas_acc, tapex_acc):
        result = metric(["a"], TABLES[:1], model=tmp_path / "missing")
        assert (
            result.value is None
            and "not computed" in result.reason
            and "not found" in result.reason
        )
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = tapex_acc(["a"], TABLES[:1])
    assert offline.value is None and "microsoft/tapex-large-finetuned-tabfact" in offline.reason
    with pytest.raises(ValueError, match="1 predictions but 2 tables"):
        tapas_acc(["a"], TABLES)


def test_score_scigen_reports_every_metric(tiny_roberta, tiny_tapas, tiny_tapex):
    tables = [json.dumps(t.to_dict()) for t in TABLES]  # as stored in the records' `table` column
    settings = {
        "bertscore_model": str(tiny_roberta),
        "bertscore_num_layers": 2,
        "tapas_model": str(tiny_tapas),
        "tapex_model": str(tiny_tapex),
        "tapex_paper_compat": True,
    }
    scores = score_scigen(
        ["the cat sat on the mat", ""], ["the cat sat on the mat", "empty"], tables, settings
    )
    assert set(scores) == {
        "bleu",
        "meteor",
        "bertscore",
        "tapas_acc",
        "tapex_acc",
        "tapex_acc_paper_compat",
        "moverscore",
        "bleurt",
    }
    # the empty prediction was scored as "empty"
    assert scores["bleu"]["value"] == pytest.approx(100.0)
    assert scores["moverscore"]["value"] is None and scores["bleurt"]["value"] is None
    assert scores["moverscore"]["reason"] and scores["bleurt"]["reason"]
    assert all(s["value"] is None or math.isfinite(s["value"]) for s in scores.values())
    with pytest.raises(ValueError, match="unknown setting"):
        score_scigen(["a"], ["a"], tables[:1], {"bertscore": "x"})
    assert list(score_scigen(["a"], ["a"], tables[:1], {"metrics": ["bleu"]})) == ["bleu"]
