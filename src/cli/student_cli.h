/*
 * student_cli.h - `mnemo trainer builtin`: the builtin student's trainer on
 * the trainer contract of DESIGN §7.3 (exit 0 and a non-empty --out mean
 * success).
 */
#ifndef MN_STUDENT_CLI_H
#define MN_STUDENT_CLI_H

/* Run the trainer subcommand. argv[0] is the subcommand's own name (e.g.
 * "builtin"); options follow:
 *   --batch-dir DIR  --out DIR  [--incumbent DIR] [--seed N] [--quiet] [--help]
 * Returns the exit code: 0 trained, 1 failure, 2 usage. */
int mn_student_cli_train(int argc, char **argv);

#endif
