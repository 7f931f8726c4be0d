// Solutions for exercise.ipynb: each block replaces the exercise cell with the same id in headless runs.

//# cell: ex1
int answer = 6 * 7;
