"""The claims of Distilling step-by-step that the claims ledger (distill_lib.plots.ledger) tests.

`claims()` lists them: DSS beats standard finetuning on each dataset, with less data (the
data-fraction curve), and standard distillation in the unlabelled setting; the claim that small DSS
students beat the few-shot 540B teacher has its row with the reason it is not tested here. The
paper's numbers come from configs/references/dss.yaml (via `report.references`) or the spec
(../shared/papers/dss.md, sections 1.1-1.2) with their source tags. `PROFILES` is the order in which
results folders are read, the best-powered first (e-SNLI's claims read the 100-step grid,
`cpu-powered-long`, before it): edit them (or a claim's `profiles`) when a new grid lands.

Deliberately left out: testing (the ledger does it) and numbers of ours.
"""

from __future__ import annotations

from distill_lib.evaluate.choices import CHOICE_KEY
from distill_lib.papers.dss.report import NAMES, references
from distill_lib.plots.ledger import Claim, Side

# best-powered first: cpu-long has the larger test sets and the longer budget of the two CPU grids
PROFILES = ("cpu-powered", "cpu-long", "cpu")
# e-SNLI's claims read the 100-step grid first: at cpu-powered's 48 steps its students had not
# settled (docs/grids/dss-cpu-powered-long.md)
ESNLI_PROFILES = ("cpu-powered-long", *PROFILES)
SOURCE = "Hsieh et al. 2023 [secondary, unverified]"
NO_ANLI = "no grid yet: ANLI-R1 is in no CPU grid (its training inputs need the hub)"
# CQA's students sit a few points above chance at the CPU budget (docs/grids/dss-cpu-powered.md)
NEAR_CHANCE = {"cqa": "near chance (20%): read the means against the untrained student's"}


def _beats_standard(dataset: str, t5: dict[str, dict[str, float]]) -> Claim:
    ours, theirs = t5["dss"][dataset], t5["standard_ft"][dataset]
    return Claim(
        paper="dss",
        claim=f"DSS beats standard finetuning ({NAMES[dataset]})",
        paper_says=f"T5-Base: {ours:.1f} vs {theirs:.1f} ({ours - theirs:+.1f}); {SOURCE}",
        base=Side("standard_ft", dataset=dataset),
        other=Side("dss", dataset=dataset),
        profiles=ESNLI_PROFILES if dataset == "esnli" else PROFILES,
        missing=NO_ANLI if dataset == "anli1" else "no grid yet",
        paper_gap=ours - theirs,
        note=NEAR_CHANCE.get(dataset, ""),
    )


def _beats_standard_ranked(dataset: str, t5: dict[str, dict[str, float]]) -> Claim:
    """The same claim on the second, labelled metric of multiple-choice data: the choice the student
    ranks most likely (evaluate.choices.CHOICE_KEY), beside the paper's generated answer."""
    claim = _beats_standard(dataset, t5)
    return Claim(
        paper="dss",
        claim=(
            f"DSS beats standard finetuning ({NAMES[dataset]}), second metric: choice "
            "log-likelihood (not the paper's metric)"
        ),
        paper_says=claim.paper_says + " (generated answers)",
        base=Side("standard_ft", fmt=CHOICE_KEY, dataset=dataset),
        other=Side("dss", fmt=CHOICE_KEY, dataset=dataset),
        profiles=(  # the grids that rank choices (eval.rank_choices)
            ("cpu-powered-long", "cpu-powered") if dataset == "esnli" else ("cpu-powered",)
        ),
        missing="no grid yet: the cpu-powered grid ranks choices (eval.rank_choices)",
        paper_gap=claim.paper_gap,
        note=claim.note,
    )


def _less_data(fraction: float, full: float) -> Claim:
    return Claim(
        paper="dss",
        claim=(
            f"DSS on {100 * fraction:g}% of the training set beats standard finetuning on 100% "
            "(e-SNLI)"
        ),
        paper_says=(
            f"Fig. 4: DSS on 12.5% of e-SNLI beats standard finetuning on 100% ({full:.1f}); "
            f"{SOURCE}"
        ),
        base=Side("standard_ft", dataset="esnli"),
        other=Side("dss", dataset="esnli", fraction=fraction),
        profiles=ESNLI_PROFILES,
    )


def _same_fraction(fraction: float) -> Claim:
    return Claim(
        paper="dss",
        claim=f"DSS beats standard finetuning at {100 * fraction:g}% of the training set (e-SNLI)",
        paper_says=f"Fig. 4: DSS ahead at every data size on all four datasets; {SOURCE}",
        base=Side("standard_ft", dataset="esnli", fraction=fraction),
        other=Side("dss", dataset="esnli", fraction=fraction),
        profiles=ESNLI_PROFILES,
    )


def _unlabelled() -> Claim:
    return Claim(
        paper="dss",
        claim="DSS beats standard distillation on the teacher's labels, no gold labels (CQA)",
        paper_says=(
            "Fig. 5: ahead at every data size on all four datasets (no numbers in the spec); "
            f"{SOURCE}"
        ),
        base=Side("standard_distill", dataset="cqa", label_source="llm"),
        other=Side("dss", dataset="cqa", label_source="llm"),
        profiles=PROFILES,
        missing="no grid yet: no CPU grid has the unlabelled setting (grid.unlabelled_methods)",
    )


def _beats_teacher(palm: dict[str, float]) -> Claim:
    few_shot = ", ".join(f"{NAMES[d]} {palm[d]:.1f}" for d in NAMES)
    return Claim(
        paper="dss",
        claim="Smaller DSS students (220M-11B) beat the few-shot PaLM-540B teacher",
        paper_says=(
            f"Figs. 6-7, PaLM-540B few-shot CoT: {few_shot} (recomputed from the released "
            f"outputs); {SOURCE}"
        ),
        missing=(
            "not testable offline: needs the paper's T5 students (220M-11B, GPU budget) and the "
            "PaLM-540B few-shot outcomes per test example as a result record"
        ),
    )


def claims() -> list[Claim]:
    """The DSS rows of the ledger, in the paper's order."""
    refs = references()
    t5 = refs["t5_base"]["test_accuracy"]
    return [
        *(_beats_standard(d, t5) for d in NAMES),
        *(_beats_standard_ranked(d, t5) for d in ("esnli", "cqa")),
        _less_data(0.25, t5["standard_ft"]["esnli"]),
        _same_fraction(0.25),
        _same_fraction(0.5),
        _unlabelled(),
        _beats_teacher(refs["palm_few_shot"]["test_accuracy"]),
    ]
