"""Distilling step-by-step (Hsieh et al., Findings of ACL 2023): e-SNLI, ANLI-R1, CQA and SVAMP with
the released PaLM-540B rationales. data (loaders, PaLM parsing in palm), methods, scoring, report,
options, paper (the interface the shared layers call)."""
