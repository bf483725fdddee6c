"""What the console's pages say: the board, the banner, a run's outcome and progress. Reads
the month-state record and the run mirror; computes no rule of its own."""
