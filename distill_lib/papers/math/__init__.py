"""Math reasoning distillation (EoTD / ETD, Zhu et al., 2024): chain-of-thought, programs and
equation systems for math word problems. data (benchmarks), teacher_data (released teacher outputs),
stage (verified teacher data), splits, methods, scoring, report, options, paper (the interface the
shared layers call)."""
