"""Table reasoning distillation on SciGen (Yang et al., LREC-COLING 2024): table-to-text with a
teacher's reasoning. data (tables and descriptions), splits (with the teacher's triples), methods
(three modes), metrics (BLEU, METEOR, BERTScore, TAPAS / TAPEX), teacher (the test tables and the
teacher row), teacher_record (the teacher stage's committed record), report and examples (notebooks
12, 13, 10), results (`make figures`), labels (row names, the local-teacher label), sizing and cost
(lengths and a grid's estimated cost), options, paper (the interface the shared layers call)."""
