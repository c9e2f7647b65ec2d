"""Table reasoning distillation on SciGen (Yang et al., LREC-COLING 2024): table-to-text with a
teacher's reasoning. data (tables and descriptions), splits (with the teacher's triples), methods
(three modes), metrics (BLEU, METEOR, BERTScore, TAPAS / TAPEX), report, options, paper (the
interface the shared layers call)."""
