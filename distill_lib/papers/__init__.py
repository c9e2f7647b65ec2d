"""The three papers, one package each: `dss` (Distilling step-by-step), `math` (EoTD / ETD),
`scigen` (table reasoning distillation). Each holds its data loaders, methods, scoring, teacher
stage, report and typed options; `distill_lib.papers.index` maps an experiment's `cfg.name` to its
paper. Shared layers never import a paper.
"""
