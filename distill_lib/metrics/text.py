"""Surface metrics for generated text against one reference per prediction: BLEU, METEOR, BERTScore.

  bleu       sacreBLEU corpus BLEU (13a tokenizer, exp smoothing), 0-100; always available offline.
             `bleu_example_stats` / `bleu_from_stats`: the same BLEU from per-example statistics
             (for paired bootstraps over test examples).
  meteor     NLTK `single_meteor_score(ref, pred, alpha=0.9, beta=3, gamma=0.5)` on whitespace
             tokens, averaged (SciGen baselines/evaluate.py); needs WordNet (`make wordnet`).
             Without it: value None + reason.
  bertscore  bert-score F1 (P and R in `details`) with a local model dir or a hub id;
             roberta-large with layer 17 is the paper setting. A model that cannot be loaded
             gives value None + reason.
Every metric that may be unavailable returns a `MetricResult`, so a missing resource is reported,
never silently replaced by a different metric.

Deliberately left out: BLEURT and MoverScore (see `not_computed` in
distill_lib.papers.scigen.metrics), text normalisation (callers pass the text they want scored) and
multi-reference scoring.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill_lib.config import PROJECT_ROOT, project_relative
from distill_lib.hub import hub_unavailable

# written by scripts/setup_wordnet.sh (`make wordnet`)
NLTK_DATA_DIR = PROJECT_ROOT / "cache" / "nltk_data"
BERTSCORE_PAPER_MODEL = "roberta-large"


@dataclass
class MetricResult:
    name: str
    value: float | None  # None: not computed, `reason` says why
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def check_pairs(preds: list[str], refs: list[str]) -> None:
    if len(preds) != len(refs):
        raise ValueError(
            f"{len(preds)} predictions but {len(refs)} references: they must be aligned one to one"
        )
    if not preds:
        raise ValueError("no predictions to score")


def model_missing_reason(model: str | Path) -> str:
    """'' if `model` may load: a local dir that exists, or a hub id that is cached or may be
    downloaded.

    A hub id missing from the local cache is reported at once when the hub cannot be used
    (distill_lib.hub).
    """
    from huggingface_hub import constants, try_to_load_from_cache

    name = str(model)
    if isinstance(model, Path) or name.startswith(("/", ".", "~")) or Path(name).is_dir():
        return "" if Path(name).expanduser().is_dir() else f"model dir {name} not found"
    cached = try_to_load_from_cache(name, "config.json")
    if isinstance(cached, str):
        return ""
    reason = "HF_HUB_OFFLINE=1 is set" if constants.HF_HUB_OFFLINE else hub_unavailable()
    return (
        f"hub model '{name}' is not in the local Hugging Face cache and {reason}" if reason else ""
    )


def bleu_with_signature(preds: list[str], refs: list[str]) -> tuple[float, str]:
    """sacreBLEU corpus BLEU with default settings (0-100) and its signature, to record next to the
    score."""
    import sacrebleu

    check_pairs(preds, refs)
    metric = sacrebleu.BLEU()
    score = metric.corpus_score(preds, [refs]).score
    return float(score), str(metric.get_signature())


def bleu(preds: list[str], refs: list[str]) -> float:
    """sacreBLEU corpus BLEU with default settings (0-100)."""
    return bleu_with_signature(preds, refs)[0]


def bleu_example_stats(preds: list[str], refs: list[str]) -> list[list[int]]:
    """Per prediction, sacreBLEU's additive statistics for corpus BLEU with default settings
    (hypothesis and reference length, then matching and total n-grams for n = 1..4): their sum over
    any subset of the examples gives that subset's corpus BLEU through `bleu_from_stats` (what a
    paired bootstrap over test examples resamples)."""
    import sacrebleu

    check_pairs(preds, refs)
    stats = sacrebleu.BLEU()._extract_corpus_statistics(preds, [refs])
    return [[int(value) for value in row] for row in stats]


def bleu_from_stats(summed: Any) -> list[float]:
    """Corpus BLEU (0-100, sacreBLEU's default settings and its own scoring code) of each row of
    summed example statistics (`bleu_example_stats`)."""
    import sacrebleu

    metric = sacrebleu.BLEU()
    return [float(metric._compute_score_from_stats([int(v) for v in row]).score) for row in summed]


def use_project_nltk_data() -> None:
    """Point NLTK at <repo>/cache/nltk_data when that folder exists and NLTK_DATA is unset."""
    import nltk

    if "NLTK_DATA" not in os.environ and NLTK_DATA_DIR.is_dir():
        os.environ["NLTK_DATA"] = str(NLTK_DATA_DIR)
    if NLTK_DATA_DIR.is_dir() and str(NLTK_DATA_DIR) not in nltk.data.path:
        nltk.data.path.insert(0, str(NLTK_DATA_DIR))


def wordnet_missing_reason() -> str:
    """'' when NLTK can find WordNet, else a message saying how to install it."""
    import nltk

    use_project_nltk_data()
    try:
        nltk.data.find("corpora/wordnet")
    except LookupError:
        return (
            "WordNet data not found by NLTK (in NLTK_DATA, "
            f"{project_relative(NLTK_DATA_DIR)} or NLTK's default folders); run `make wordnet` "
            "(scripts/setup_wordnet.sh)"
        )
    return ""


def meteor(preds: list[str], refs: list[str]) -> MetricResult:
    """Mean NLTK METEOR (SciGen's parameters) on whitespace-tokenised text, 0-1."""
    import nltk
    from nltk.translate.meteor_score import single_meteor_score

    check_pairs(preds, refs)
    reason = wordnet_missing_reason()
    if reason:
        return MetricResult("meteor", None, reason)
    scores = [
        single_meteor_score(ref.split(), pred.split(), alpha=0.9, beta=3, gamma=0.5)
        for pred, ref in zip(preds, refs, strict=True)
    ]
    return MetricResult("meteor", sum(scores) / len(scores), details={"nltk": nltk.__version__})


def bertscore(
    preds: list[str],
    refs: list[str],
    model: str | Path = BERTSCORE_PAPER_MODEL,
    num_layers: int | None = None,
    batch_size: int = 64,
    idf: bool = False,
    device: str | None = None,
) -> MetricResult:
    """Mean BERTScore F1. `num_layers` is required unless bert-score knows the model (roberta-large:
    17)."""
    import bert_score

    check_pairs(preds, refs)
    model_name = str(model)
    if num_layers is None and model_name not in bert_score.utils.model2layers:
        raise ValueError(
            f"bertscore: num_layers is required for model '{model_name}' (bert-score has no "
            "default)"
        )
    reason = model_missing_reason(model)
    if reason:
        return MetricResult("bertscore", None, reason)
    try:
        (precision, recall, f1), model_hash = bert_score.score(
            preds,
            refs,
            model_type=model_name,
            num_layers=num_layers,
            batch_size=batch_size,
            idf=idf,
            device=device,
            lang="en",
            rescale_with_baseline=False,
            return_hash=True,
        )
    except OSError as err:  # hub unreachable, missing weights or tokenizer files
        return MetricResult(
            "bertscore", None, f"could not load BERTScore model '{model_name}': {err}"
        )
    return MetricResult(
        "bertscore",
        float(f1.mean()),
        details={
            "precision": float(precision.mean()),
            "recall": float(recall.mean()),
            "hash": model_hash,
        },
    )
