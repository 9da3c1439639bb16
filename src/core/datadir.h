/*
 * datadir.h - where the files mnemo ships live (default student weights,
 * seed/replay dataset, probe set).
 *
 * Search order: $MNEMO_DATADIR, <exe dir>/../share/mnemo (installed),
 * <exe dir>/../data (running from a build tree: build/mnemo), MN_DATADIR
 * (compile-time install prefix). The binary never refers to the source
 * tree: test and benchmark programs built elsewhere set MNEMO_DATADIR.
 */
#ifndef MN_DATADIR_H
#define MN_DATADIR_H

/* Heap path of `rel` inside the first data directory that has it, or NULL. */
char *mn_datadir_find(const char *rel);

#endif
