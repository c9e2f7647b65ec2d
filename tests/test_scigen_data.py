"""SciGen loading, cleaning and linearization, checked against hand-read rows of the real files."""

import json
from pathlib import Path

import pytest

from distill_lib.data.records import DataUnavailable, resolve_data_dir
from distill_lib.data.table import Table, clean_cell
from distill_lib.papers.scigen import data as scigen
from distill_lib.papers.scigen.data import (
    ScigenFormatError,
    clean_text,
    linearize,
    load_scigen,
)

DATA_DIR = resolve_data_dir(None)
SCIGEN_FILES = {
    "train": "few-shot/train.json",
    "dev": "few-shot/dev.json",
    "test-CL": "test/test-CL.json",
    "test-Other": "test/test-Other.json",
}


@pytest.fixture(scope="module")
def raw_train() -> dict:
    if DATA_DIR is None or not (DATA_DIR / "scigen" / SCIGEN_FILES["train"]).is_file():
        pytest.skip("shared SciGen data not found beside the project (../shared/data/scigen)")
    return json.loads((DATA_DIR / "scigen" / SCIGEN_FILES["train"]).read_text())


@pytest.fixture(scope="module")
def train(raw_train):
    return load_scigen("train")


def test_clean_text_replaces_continue_and_collapses_whitespace():
    assert clean_text("A b. [CONTINUE] C d.  \n E") == "A b. C d. E"
    assert clean_text("x[CONTINUE]y") == "x y"


def test_clean_cell_drops_markup_keeps_text():
    assert clean_cell("[BOLD] 74.4 (± 0.9)") == "74.4 (± 0.9)"
    assert clean_cell("[ITALIC]  w/o  attention") == "w/o attention"
    assert clean_cell("[EMPTY]") == ""
    # only the spec's three markers are removed
    assert clean_cell("[HTML]CBCEFByes") == "[HTML]CBCEFByes"


def test_train_row_9_linearization_and_label(train):
    record = train[9]
    assert record["id"] == "train-9" and record["paper_id"] == "1906.04706v1"
    assert record["input"] == (
        "<R> <C> Total negation cues <C> 2921 <R> <C> True negation cues <C> 2674 <R> <C> False "
        "negation cues "
        "<C> 247 <R> <C> Average scope length <C> 2.9 <R> <C> Average sentence length <C> 13.6 <R> "
        "<C> Average "
        "tweet length <C> 22.3 <CAP> Table 3: Cue and token distribution in the conversational "
        "negation corpus."
    )
    assert record["label"] == (
        "Corpus statistics are shown in Table 3. The average number of tokens per tweet is "
        "22.3, per sentence is 13.6 and average scope length is 2.9."
    )


def test_train_row_0_keeps_markup_in_input_and_removes_continue_from_label(train):
    record = train[0]
    assert record["input"].startswith(
        "<R> <C> Model <C> Training data <C> Overall <C> Easy <C> Hard <R> <C> BERT-large-FT <C> "
        "B-COPA "
        "<C> 74.5 (± 0.7) <C> 74.7 (± 0.4) <C> [BOLD] 74.4 (± 0.9) <R> <C> BERT-large-FT <C> "
        "B-COPA (50%) <C>"
    )
    assert record["input"].endswith(
        "<R> <C> RoBERTa-large-FT <C> COPA <C> 87.7 (± 0.9) <C> [BOLD] 91.6 (± 1.1) <C> 85.3 (± "
        "2.0) <CAP> "
        "Table 5: Results of fine-tuned models on Balanced COPA. Easy: instances with superficial "
        "cues, "
        "Hard: instances without superficial cues."
    )
    assert record["label"].endswith(
        "between mirrored alternatives These results show that once superficial cues "
        "are removed, the models are able to learn the task to a high degree."
    )
    table = Table.from_dict(json.loads(record["table"]))
    assert table.header == ["Model", "Training data", "Overall", "Easy", "Hard"]
    assert table.clean().rows[0] == [
        "BERT-large-FT",
        "B-COPA",
        "74.5 (± 0.7)",
        "74.7 (± 0.4)",
        "74.4 (± 0.9)",
    ]


def test_train_row_1_keeps_non_breaking_spaces(train):
    assert train[1]["input"].startswith(
        "<R> <C> Model <C> Accuracy <R> <C> BigramPMI\u00a0Goodwin et al. ( 2012 ) "
        "<C> 63.4 <R> <C> PMI\u00a0Gordon et al. ( 2011 ) <C> 65.4"
    )
    assert train[1]["label"] == (
        "Recent studies show that BERT and RoBERTa achieve considerable improvements on "
        "COPA (see Table 1)."
    )


def upstream_linearize(entry: dict) -> str:
    """SciGen baselines/convert_json_files.py, rewritten independently for a parity check."""
    text = "<R> <C>"
    n = len(entry["table_column_names"])
    for i, c in enumerate(entry["table_column_names"]):
        text += " " + c + (" <C>" if i < n - 1 else "")
    for row in entry["table_content_values"]:
        text += " <R> <C>"
        for i, c in enumerate(row):
            text += " " + c + (" <C>" if i < n - 1 else "")
    return text + " <CAP> " + entry["table_caption"]


def test_linearization_matches_upstream_on_every_train_table(raw_train, train):
    assert [upstream_linearize(raw_train[str(i)]) for i in range(len(raw_train))] == train["input"]


@pytest.mark.parametrize(
    "split,count,duplicate_headers",
    [("train", 200, 11), ("dev", 100, 7), ("test-CL", 492, 46), ("test-Other", 546, 45)],
)
def test_split_sizes_and_duplicate_header_counts(raw_train, split, count, duplicate_headers):
    ds = load_scigen(split)
    assert (
        len(ds) == count
        and ds[0]["id"] == f"{split}-0"
        and ds[count - 1]["id"] == f"{split}-{count - 1}"
    )
    tables = [Table.from_dict(json.loads(t)) for t in ds["table"]]
    assert sum(len(set(t.header)) < len(t.header) for t in tables) == duplicate_headers
    assert all(len(set(t.clean().dedup_headers())) == len(t.header) for t in tables)
    assert not any("[CONTINUE]" in label for label in ds["label"])


def test_test_split_concatenates_cl_then_other(raw_train):
    ds = load_scigen("test")
    assert len(ds) == 492 + 546 and ds[0]["id"] == "test-CL-0" and ds[-1]["id"] == "test-Other-545"
    # one test-Other table is empty
    assert sum(not Table.from_dict(json.loads(t)).rows for t in ds["table"]) == 1


def test_dedup_headers_suffixes_repeats_and_names_empty_columns():
    table = Table("cap", ["Acc", "Acc", "", "Acc_2", " "], [["1", "2", "3", "4", "5"]])
    assert table.dedup_headers() == ["Acc", "Acc_2", "col_3", "Acc_2_2", "col_5"]
    frame = (
        Table("cap", ["[BOLD] F1", "F1", "[EMPTY]"], [["[BOLD] 1.0", "2", "[EMPTY]"]])
        .clean()
        .to_frame()
    )
    assert list(frame.columns) == ["F1", "F1_2", "col_3"] and frame.iloc[0].tolist() == [
        "1.0",
        "2",
        "",
    ]


def test_table_round_trips_through_json():
    table = Table("Table 1: x", ["a", "b"], [["1", "2"], ["3", "4"]])
    assert Table.from_dict(json.loads(json.dumps(table.to_dict()))) == table
    assert linearize(table) == "<R> <C> a <C> b <R> <C> 1 <C> 2 <R> <C> 3 <C> 4 <CAP> Table 1: x"


def write_split(root: Path, entries: dict, size: str = "few-shot", split: str = "train") -> Path:
    path = root / "scigen" / size / f"{split}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries))
    return path


def entry(**changes) -> dict:
    base = {
        "paper": "p",
        "paper_id": "1.1",
        "table_caption": "Table 1: c",
        "table_column_names": ["a", "b"],
        "table_content_values": [["1", "2"]],
        "text": "t [CONTINUE] u",
    }
    return {**base, **changes}


def test_ragged_row_names_file_key_and_row(tmp_path):
    path = write_split(
        tmp_path, {"0": entry(), "1": entry(table_content_values=[["1", "2"], ["3"]])}
    )
    with pytest.raises(
        ScigenFormatError, match=rf"{path}, key '1': table_content_values\[1\] has 1 cells"
    ):
        load_scigen("train", data_dir=tmp_path)


def test_missing_field_and_list_top_level_are_errors(tmp_path):
    bad = entry()
    del bad["text"]
    write_split(tmp_path, {"0": bad})
    with pytest.raises(ScigenFormatError, match="key '0': missing field 'text'"):
        load_scigen("train", data_dir=tmp_path)
    write_split(tmp_path, [entry()])
    with pytest.raises(ScigenFormatError, match="expected a JSON object"):
        load_scigen("train", data_dir=tmp_path)


def test_medium_reads_a_local_file_when_present(tmp_path):
    write_split(tmp_path, {"1": entry(), "0": entry(paper_id="0.0")}, size="medium")
    ds = load_scigen("train", data_dir=tmp_path, size="medium")
    assert (
        ds["id"] == ["train-0", "train-1"]
        and ds["paper_id"] == ["0.0", "1.1"]
        and ds["label"][0] == "t u"
    )


def test_medium_falls_back_to_hub_and_names_sources_when_it_fails(tmp_path, monkeypatch):
    (tmp_path / "scigen").mkdir()

    def offline(*args, **kwargs):
        raise ConnectionError("hub unreachable")

    monkeypatch.setattr(scigen.datasets, "load_dataset", offline)
    # the hub looks reachable; the load then fails
    monkeypatch.setattr(scigen, "hub_unavailable", lambda: None)
    with pytest.raises(DataUnavailable, match="hub unreachable") as err:
        load_scigen("train", data_dir=tmp_path, size="medium")
    assert "kasnerz/scigen" in str(err.value) and "dataset/train/medium/train.json" in str(
        err.value
    )
    with pytest.raises(DataUnavailable, match="dataset/development/large/dev.json"):
        load_scigen("dev", data_dir=tmp_path, size="large")
    monkeypatch.setattr(scigen, "hub_unavailable", lambda: "HF_HUB_OFFLINE=1 is set")
    with pytest.raises(
        DataUnavailable, match="kasnerz/scigen cannot be used: HF_HUB_OFFLINE=1 is set"
    ):
        load_scigen("train", data_dir=tmp_path, size="medium")


def test_hub_rows_with_stringified_lists_are_parsed(monkeypatch):
    row = entry(table_column_names="['a', 'b']", table_content_values="[['1', '2']]")
    monkeypatch.setattr(scigen.datasets, "load_dataset", lambda hub_id, split: [row])
    records = scigen.read_hub_split("dev")
    assert records[0]["input"] == "<R> <C> a <C> b <R> <C> 1 <C> 2 <CAP> Table 1: c"


def test_unknown_split_or_size_is_an_error():
    with pytest.raises(ValueError, match="unknown SciGen split 'valid'"):
        load_scigen("valid")
    with pytest.raises(ValueError, match="unknown SciGen size 'huge'"):
        load_scigen("train", size="huge")
