/*
 * store_schema.h - numbered, forward-only migrations compiled into the
 * binary. Migration N brings user_version from N-1 to N. Never edit a
 * released step; add a new one.
 */
#ifndef MN_STORE_SCHEMA_H
#define MN_STORE_SCHEMA_H

static const char *const migration_1[] = {
	/* 1: the whole schema of DESIGN §3 */
	"CREATE TABLE raw_memories ("
	"  id TEXT PRIMARY KEY,"
	"  content TEXT NOT NULL,"
	"  source TEXT, type TEXT, project TEXT, session TEXT,"
	"  content_hash TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (state IN ('queued','claimed','encoded','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  claimed_by TEXT, lease_until TEXT,"
	"  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);",
	"CREATE INDEX raw_memories_queue ON raw_memories(state, created_at);",
	"CREATE INDEX raw_memories_hash ON raw_memories(content_hash);",
	"CREATE TABLE memories ("
	"  id TEXT PRIMARY KEY,"
	"  raw_id TEXT NOT NULL UNIQUE REFERENCES raw_memories(id) ON DELETE CASCADE,"
	"  gist TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL DEFAULT '',"
	"  content TEXT NOT NULL DEFAULT '', narrative TEXT NOT NULL DEFAULT '',"
	"  concepts TEXT NOT NULL DEFAULT '[]', concepts_text TEXT NOT NULL DEFAULT '',"
	"  structured_concepts TEXT NOT NULL DEFAULT '{}',"
	"  significance TEXT, emotional_tone TEXT, outcome TEXT,"
	"  base_salience REAL NOT NULL DEFAULT 0.5, salience REAL NOT NULL DEFAULT 0.5,"
	"  state TEXT NOT NULL DEFAULT 'active',"
	"  feedback_score REAL NOT NULL DEFAULT 0,"
	"  encoding_json TEXT NOT NULL,"
	"  encoder TEXT NOT NULL, encoder_version TEXT NOT NULL,"
	"  fallback INTEGER NOT NULL DEFAULT 0,"
	"  epr REAL, fr REAL, sc INTEGER, np REAL, ted INTEGER, mig INTEGER,"
	"  flags TEXT NOT NULL DEFAULT '[]',"
	"  confidence REAL,"
	"  source TEXT, type TEXT, project TEXT,"
	"  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);",
	"CREATE INDEX memories_created ON memories(created_at);",
	"CREATE INDEX memories_encoder ON memories(encoder_version, created_at);",
	"CREATE VIRTUAL TABLE memories_fts USING fts5(gist, summary, content, concepts,"
	"  content='memories', content_rowid='rowid', tokenize='unicode61');",
	"CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN"
	"  INSERT INTO memories_fts(rowid, gist, summary, content, concepts)"
	"  VALUES (new.rowid, new.gist, new.summary, new.content, new.concepts_text); END;",
	"CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN"
	"  INSERT INTO memories_fts(memories_fts, rowid, gist, summary, content, concepts)"
	"  VALUES ('delete', old.rowid, old.gist, old.summary, old.content, old.concepts_text); END;",
	"CREATE TRIGGER memories_au AFTER UPDATE OF gist, summary, content, concepts_text"
	"  ON memories BEGIN"
	"  INSERT INTO memories_fts(memories_fts, rowid, gist, summary, content, concepts)"
	"  VALUES ('delete', old.rowid, old.gist, old.summary, old.content, old.concepts_text);"
	"  INSERT INTO memories_fts(rowid, gist, summary, content, concepts)"
	"  VALUES (new.rowid, new.gist, new.summary, new.content, new.concepts_text); END;",
	"CREATE TABLE recall_log ("
	"  query_id TEXT PRIMARY KEY, query TEXT NOT NULL, project TEXT, session TEXT,"
	"  results TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);",
	"CREATE TABLE recall_feedback ("
	"  query_id TEXT NOT NULL REFERENCES recall_log(query_id) ON DELETE CASCADE,"
	"  memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,"
	"  rating TEXT NOT NULL CHECK (rating IN ('helpful','partial','irrelevant')),"
	"  session TEXT, created_at TEXT NOT NULL,"
	"  PRIMARY KEY (query_id, memory_id));",
	"CREATE INDEX recall_feedback_memory ON recall_feedback(memory_id);",
	"CREATE TABLE experience_buffer ("
	"  id TEXT PRIMARY KEY,"
	"  memory_id TEXT NOT NULL UNIQUE REFERENCES memories(id) ON DELETE CASCADE,"
	"  raw_id TEXT NOT NULL,"
	"  encoder_version TEXT NOT NULL,"
	"  epr REAL, fr REAL, sc INTEGER, np REAL, ted INTEGER, mig INTEGER,"
	"  flags TEXT NOT NULL DEFAULT '[]', confidence REAL,"
	"  fallback INTEGER NOT NULL DEFAULT 0,"
	"  recall_score REAL, recall_count INTEGER NOT NULL DEFAULT 0,"
	"  category TEXT NOT NULL DEFAULT 'ambiguous' CHECK (category IN"
	"    ('gold','needs_improvement','ambiguous','excluded')),"
	"  corrected_output TEXT, corrected_epr REAL, corrected_fr REAL, corrected_sc INTEGER,"
	"  correction_source TEXT, correction_attempts INTEGER NOT NULL DEFAULT 0,"
	"  correction_error TEXT, corrected_at TEXT,"
	"  batch_id TEXT, trained_in_run TEXT,"
	"  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);",
	"CREATE INDEX experience_category ON experience_buffer(category);",
	"CREATE INDEX experience_batch ON experience_buffer(batch_id);",
	"CREATE TABLE curriculum_runs ("
	"  id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
	"  attempted INTEGER NOT NULL DEFAULT 0, passed INTEGER NOT NULL DEFAULT 0,"
	"  failed INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL CHECK (status IN ('running','completed','interrupted','failed')),"
	"  teacher TEXT, error TEXT);",
	"CREATE TABLE training_runs ("
	"  id TEXT PRIMARY KEY, trigger TEXT NOT NULL, reason TEXT,"
	"  state TEXT NOT NULL CHECK (state IN ('requested','training','evaluating','deployed',"
	"    'rejected','failed','cancelled','rolled_back')),"
	"  request_dir TEXT, batch_id TEXT,"
	"  n_train INTEGER, n_valid INTEGER, counts TEXT,"
	"  holdout_n INTEGER,"
	"  trainer_exit TEXT,"
	"  candidate_metrics TEXT, incumbent_metrics TEXT,"
	"  gate_verdict TEXT, gate_reasons TEXT,"
	"  candidate_version TEXT, deployed_version TEXT,"
	"  timings TEXT,"
	"  pid INTEGER, heartbeat_at TEXT, error TEXT,"
	"  hooks_after_ran INTEGER NOT NULL DEFAULT 0,"
	"  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, updated_at TEXT NOT NULL);",
	"CREATE INDEX training_runs_state ON training_runs(state, created_at);",
	"CREATE TABLE model_versions ("
	"  id TEXT PRIMARY KEY, student TEXT NOT NULL, version TEXT NOT NULL,"
	"  artifact_path TEXT NOT NULL, sha256 TEXT, parent TEXT, training_run TEXT,"
	"  gate_metrics TEXT, live_metrics TEXT,"
	"  state TEXT NOT NULL DEFAULT 'candidate',"
	"  created_at TEXT NOT NULL, deployed_at TEXT, retired_at TEXT,"
	"  UNIQUE (student, version));",
	"CREATE TABLE dream_cycles ("
	"  id TEXT PRIMARY KEY, trigger TEXT, started_at TEXT NOT NULL, finished_at TEXT,"
	"  status TEXT NOT NULL, phases TEXT NOT NULL DEFAULT '[]', error TEXT);",
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);",
	NULL,
};

static const char *const migration_2[] = {
	/* 2: event time and the one recall index (docs/recall.md). Every raw
	 * memory is a document from the moment it is stored, keyed by its
	 * rowid; its encoding's fields join the same row once encoded. The
	 * index keeps no copy of the text (external content: the view). */
	"ALTER TABLE raw_memories ADD COLUMN occurred_at TEXT;",
	"UPDATE raw_memories SET occurred_at = created_at;",
	"ALTER TABLE raw_memories ADD COLUMN dates TEXT NOT NULL DEFAULT '';",
	"UPDATE raw_memories SET dates = mn_date_keys(content, occurred_at);",
	"CREATE INDEX raw_memories_occurred ON raw_memories(occurred_at);",
	"CREATE INDEX raw_memories_project ON raw_memories(project, occurred_at);",
	"ALTER TABLE memories ADD COLUMN keyterms TEXT NOT NULL DEFAULT '';",
	"UPDATE memories SET keyterms = mn_keyterms(structured_concepts);",
	"DROP TRIGGER memories_ai;",
	"DROP TRIGGER memories_ad;",
	"DROP TRIGGER memories_au;",
	"DROP TABLE memories_fts;",
	"CREATE VIEW recall_doc AS SELECT r.rowid AS rid, r.content AS content,"
	"  coalesce(m.gist, '') AS gist, coalesce(m.summary, '') AS summary,"
	"  coalesce(m.concepts_text, '') AS concepts, coalesce(m.keyterms, '') AS keyterms,"
	"  r.dates AS dates"
	"  FROM raw_memories r LEFT JOIN memories m ON m.raw_id = r.id;",
	"CREATE VIRTUAL TABLE recall_fts USING fts5(content, gist, summary, concepts, keyterms,"
	"  dates, content='recall_doc', content_rowid='rid',"
	"  tokenize='porter unicode61 remove_diacritics 2');",
	"CREATE TRIGGER raw_fts_ai AFTER INSERT ON raw_memories BEGIN"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  VALUES (new.rowid, new.content, '', '', '', '', new.dates); END;",
	/* Before the row goes, while its memory (if any) is still there: a
	 * cascade deletes the memory after the raw row, when its own trigger
	 * can no longer find the raw text. */
	"CREATE TRIGGER raw_fts_bd BEFORE DELETE ON raw_memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', old.rowid, old.content, coalesce(m.gist, ''),"
	"  coalesce(m.summary, ''), coalesce(m.concepts_text, ''), coalesce(m.keyterms, ''),"
	"  old.dates FROM (SELECT 1) LEFT JOIN memories m ON m.raw_id = old.id; END;",
	"CREATE TRIGGER raw_fts_au AFTER UPDATE OF content, dates ON raw_memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', old.rowid, old.content, coalesce(m.gist, ''),"
	"  coalesce(m.summary, ''), coalesce(m.concepts_text, ''), coalesce(m.keyterms, ''),"
	"  old.dates FROM (SELECT 1) LEFT JOIN memories m ON m.raw_id = old.id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT new.rowid, new.content, coalesce(m.gist, ''), coalesce(m.summary, ''),"
	"  coalesce(m.concepts_text, ''), coalesce(m.keyterms, ''), new.dates"
	"  FROM (SELECT 1) LEFT JOIN memories m ON m.raw_id = new.id; END;",
	"CREATE TRIGGER memories_fts_ai AFTER INSERT ON memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', r.rowid, r.content, '', '', '', '', r.dates"
	"  FROM raw_memories r WHERE r.id = new.raw_id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT r.rowid, r.content, new.gist, new.summary, new.concepts_text, new.keyterms,"
	"  r.dates FROM raw_memories r WHERE r.id = new.raw_id; END;",
	"CREATE TRIGGER memories_fts_ad AFTER DELETE ON memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', r.rowid, r.content, old.gist, old.summary, old.concepts_text,"
	"  old.keyterms, r.dates FROM raw_memories r WHERE r.id = old.raw_id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT r.rowid, r.content, '', '', '', '', r.dates"
	"  FROM raw_memories r WHERE r.id = old.raw_id; END;",
	"CREATE TRIGGER memories_fts_au AFTER UPDATE OF gist, summary, concepts_text, keyterms"
	"  ON memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', r.rowid, r.content, old.gist, old.summary, old.concepts_text,"
	"  old.keyterms, r.dates FROM raw_memories r WHERE r.id = old.raw_id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT r.rowid, r.content, new.gist, new.summary, new.concepts_text, new.keyterms,"
	"  r.dates FROM raw_memories r WHERE r.id = new.raw_id; END;",
	"INSERT INTO recall_fts(recall_fts) VALUES ('rebuild');",
	/* the ranking reads the priors of each match from this index alone,
	 * never the wide memory row */
	"CREATE INDEX memories_priors ON memories(raw_id, salience, feedback_score);",
	NULL,
};

static const char *const migration_3[] = {
	/* 3: browse, correct, deduplicate (docs/export-format.md). A memory's
	 * earlier encodings and texts, keyed by its raw row; how often the
	 * same text was remembered; the key of its whitespace-normalised text
	 * (exact duplicates); listing in time order. */
	"CREATE TABLE memory_history ("
	"  id INTEGER PRIMARY KEY,"
	"  raw_id TEXT NOT NULL REFERENCES raw_memories(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL, text TEXT, encoding TEXT, encoder_output TEXT,"
	"  encoder TEXT, encoder_version TEXT, detail TEXT, created_at TEXT NOT NULL);",
	"CREATE INDEX memory_history_raw ON memory_history(raw_id);",
	"ALTER TABLE raw_memories ADD COLUMN repeat_count INTEGER NOT NULL DEFAULT 1;",
	"ALTER TABLE raw_memories ADD COLUMN last_seen_at TEXT;",
	/* computed, never stored in the row: only the index holds it */
	"ALTER TABLE raw_memories ADD COLUMN norm_hash INTEGER"
	"  GENERATED ALWAYS AS (mn_norm_hash(content)) VIRTUAL;",
	"CREATE INDEX raw_memories_norm ON raw_memories(norm_hash);",
	"CREATE INDEX raw_memories_created ON raw_memories(created_at);",
	NULL,
};

static const char *const migration_4[] = {
	/* 4: optional vectors (docs/vectors.md). One float32 vector per raw
	 * memory, keyed by its rowid (as recall_fts), with the model that made
	 * it. seq orders inserts and vector_state counts them and the
	 * deletions, so a process's in-memory copy loads only what changed.
	 * A vector goes with its raw row and when the text changes. */
	"CREATE TABLE memory_vectors ("
	"  raw_rowid INTEGER PRIMARY KEY,"
	"  model TEXT NOT NULL, dim INTEGER NOT NULL, vec BLOB NOT NULL,"
	"  seq INTEGER NOT NULL, created_at TEXT NOT NULL);",
	"CREATE INDEX memory_vectors_seq ON memory_vectors(seq);",
	"CREATE TABLE vector_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL, deletions INTEGER NOT NULL);",
	"INSERT INTO vector_state(id, seq, deletions) VALUES (1, 0, 0);",
	"CREATE TRIGGER memory_vectors_ad AFTER DELETE ON memory_vectors BEGIN"
	"  UPDATE vector_state SET deletions = deletions + 1 WHERE id = 1; END;",
	"CREATE TRIGGER raw_vec_ad AFTER DELETE ON raw_memories BEGIN"
	"  DELETE FROM memory_vectors WHERE raw_rowid = old.rowid; END;",
	"CREATE TRIGGER raw_vec_au AFTER UPDATE OF content ON raw_memories"
	"  WHEN new.content IS NOT old.content BEGIN"
	"  DELETE FROM memory_vectors WHERE raw_rowid = old.rowid; END;",
	NULL,
};

static const char *const migration_5[] = {
	/* 5: raw_memories.norm_hash becomes a stored column that mnemo fills:
	 * as a generated column (3) its index needed mn_norm_hash on every
	 * connection, so the sqlite3 shell could not check or change the
	 * database. */
	"DROP INDEX raw_memories_norm;",
	"ALTER TABLE raw_memories DROP COLUMN norm_hash;",
	"ALTER TABLE raw_memories ADD COLUMN norm_hash INTEGER;",
	"UPDATE raw_memories SET norm_hash = mn_norm_hash(content);",
	"CREATE INDEX raw_memories_norm ON raw_memories(norm_hash);",
	NULL,
};

static const char *const migration_6[] = {
	/* 6: the learned ranker (docs/ranker.md). Which ranker ordered a
	 * recall (each result in recall_log.results carries the features it
	 * was ranked by), and which model a training run trains. */
	"ALTER TABLE recall_log ADD COLUMN ranker TEXT;",
	"ALTER TABLE training_runs ADD COLUMN model TEXT NOT NULL DEFAULT 'student';",
	"CREATE INDEX recall_feedback_created ON recall_feedback(created_at);",
	NULL,
};

static const char *const migration_7[] = {
	/* 7: each thing once (docs/architecture.md, "Schema"). A memory kept
	 * its encoding three times (encoding_json, split columns, the text in
	 * summary and content) next to the raw text. Now encoder_output holds
	 * the encoder's exact output and encoding the normalised encoding only
	 * where it differs (amended; NULL = the output), both packed
	 * (store_pack.c); the recall index reads its fields through mn_doc()
	 * and keeps no copy. The raw text's SHA-256 is computed when read;
	 * what a memory shares with its raw row or its buffer row with its
	 * memory is read from there.
	 * The index triggers and view are the same as 2's, reading the fields
	 * through mn_doc(); the index is rebuilt from the view, so that it
	 * holds exactly what the triggers will delete (an older mnemo's key
	 * terms or a damaged row could differ). Space is returned to the file
	 * system by a VACUUM after the migration (store.c). */
	"DROP TRIGGER raw_fts_bd;",
	"DROP TRIGGER raw_fts_au;",
	"DROP TRIGGER memories_fts_ai;",
	"DROP TRIGGER memories_fts_ad;",
	"DROP TRIGGER memories_fts_au;",
	"DROP VIEW recall_doc;",
	/* memories and experience_buffer are rebuilt (one pass each; the
	 * migration runs with foreign keys off, so dropping the old table
	 * cascades nothing, and their children's references name the new
	 * one), keeping their rowids */
	"CREATE TABLE memories_new ("
	"  id TEXT PRIMARY KEY,"
	"  raw_id TEXT NOT NULL UNIQUE REFERENCES raw_memories(id) ON DELETE CASCADE,"
	"  encoder_output BLOB NOT NULL, encoding BLOB,"
	"  base_salience REAL NOT NULL DEFAULT 0.5, salience REAL NOT NULL DEFAULT 0.5,"
	"  state TEXT NOT NULL DEFAULT 'active',"
	"  feedback_score REAL NOT NULL DEFAULT 0,"
	"  encoder TEXT NOT NULL, encoder_version TEXT NOT NULL,"
	"  fallback INTEGER NOT NULL DEFAULT 0,"
	"  epr REAL, fr REAL, sc INTEGER, np REAL, ted INTEGER, mig INTEGER,"
	"  flags TEXT NOT NULL DEFAULT '[]', confidence REAL,"
	"  created_at TEXT NOT NULL);",
	"INSERT INTO memories_new(rowid, id, raw_id, encoder_output, encoding, base_salience,"
	"  salience, state, feedback_score, encoder, encoder_version, fallback, epr, fr, sc, np,"
	"  ted, mig, flags, confidence, created_at)"
	"  SELECT rowid, id, raw_id, mn_pack(encoding_json), mn_pack_encoding(encoding_json,"
	"  json_object('gist', gist, 'summary', summary, 'content', content,"
	"  'narrative', narrative,"
	"  'concepts', json(CASE WHEN json_valid(concepts) THEN concepts ELSE '[]' END),"
	"  'structured_concepts', json(CASE WHEN json_valid(structured_concepts)"
	"    THEN structured_concepts ELSE '{}' END), 'significance', significance,"
	"  'emotional_tone', emotional_tone, 'outcome', outcome), base_salience),"
	"  base_salience, salience, state, feedback_score, encoder, encoder_version, fallback,"
	"  epr, fr, sc, np, ted, mig, flags, confidence, created_at FROM memories;",
	"DROP TABLE memories;",
	"ALTER TABLE memories_new RENAME TO memories;",
	"CREATE INDEX memories_created ON memories(created_at);",
	"CREATE INDEX memories_encoder ON memories(encoder_version, created_at);",
	"CREATE INDEX memories_priors ON memories(raw_id, salience, feedback_score);",
	"CREATE TABLE experience_buffer_new ("
	"  id TEXT PRIMARY KEY,"
	"  memory_id TEXT NOT NULL UNIQUE REFERENCES memories(id) ON DELETE CASCADE,"
	"  recall_score REAL, recall_count INTEGER NOT NULL DEFAULT 0,"
	"  category TEXT NOT NULL DEFAULT 'ambiguous' CHECK (category IN"
	"    ('gold','needs_improvement','ambiguous','excluded')),"
	"  corrected_output TEXT, corrected_epr REAL, corrected_fr REAL, corrected_sc INTEGER,"
	"  correction_source TEXT, correction_attempts INTEGER NOT NULL DEFAULT 0,"
	"  correction_error TEXT, corrected_at TEXT,"
	"  batch_id TEXT, trained_in_run TEXT,"
	"  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);",
	"INSERT INTO experience_buffer_new(rowid, id, memory_id, recall_score, recall_count,"
	"  category, corrected_output, corrected_epr, corrected_fr, corrected_sc,"
	"  correction_source, correction_attempts, correction_error, corrected_at, batch_id,"
	"  trained_in_run, created_at, updated_at)"
	"  SELECT rowid, id, memory_id, recall_score, recall_count, category, corrected_output,"
	"  corrected_epr, corrected_fr, corrected_sc, correction_source, correction_attempts,"
	"  correction_error, corrected_at, batch_id, trained_in_run, created_at, updated_at"
	"  FROM experience_buffer;",
	"DROP TABLE experience_buffer;",
	"ALTER TABLE experience_buffer_new RENAME TO experience_buffer;",
	"CREATE INDEX experience_category ON experience_buffer(category);",
	"CREATE INDEX experience_batch ON experience_buffer(batch_id);",
	"DROP INDEX raw_memories_hash;",
	"ALTER TABLE raw_memories DROP COLUMN content_hash;",
	/* the queue index holds only the rows still to encode (the queries
	 * name its condition: a partial index is used only then) */
	"DROP INDEX raw_memories_queue;",
	"CREATE INDEX raw_memories_queue ON raw_memories(state, created_at) WHERE state <> 'encoded';",
	"CREATE VIEW recall_doc AS SELECT r.rowid AS rid, r.content AS content,"
	"  mn_doc(m.encoding, m.encoder_output, 'gist') AS gist,"
	"  mn_doc(m.encoding, m.encoder_output, 'summary') AS summary,"
	"  mn_doc(m.encoding, m.encoder_output, 'concepts') AS concepts,"
	"  mn_doc(m.encoding, m.encoder_output, 'keyterms') AS keyterms, r.dates AS dates"
	"  FROM raw_memories r LEFT JOIN memories m ON m.raw_id = r.id;",
	"CREATE TRIGGER raw_fts_bd BEFORE DELETE ON raw_memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', old.rowid, old.content,"
	"  mn_doc(m.encoding, m.encoder_output, 'gist'),"
	"  mn_doc(m.encoding, m.encoder_output, 'summary'),"
	"  mn_doc(m.encoding, m.encoder_output, 'concepts'),"
	"  mn_doc(m.encoding, m.encoder_output, 'keyterms'),"
	"  old.dates FROM (SELECT 1) LEFT JOIN memories m ON m.raw_id = old.id; END;",
	"CREATE TRIGGER raw_fts_au AFTER UPDATE OF content, dates ON raw_memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', old.rowid, old.content,"
	"  mn_doc(m.encoding, m.encoder_output, 'gist'),"
	"  mn_doc(m.encoding, m.encoder_output, 'summary'),"
	"  mn_doc(m.encoding, m.encoder_output, 'concepts'),"
	"  mn_doc(m.encoding, m.encoder_output, 'keyterms'),"
	"  old.dates FROM (SELECT 1) LEFT JOIN memories m ON m.raw_id = old.id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT new.rowid, new.content,"
	"  mn_doc(m.encoding, m.encoder_output, 'gist'),"
	"  mn_doc(m.encoding, m.encoder_output, 'summary'),"
	"  mn_doc(m.encoding, m.encoder_output, 'concepts'),"
	"  mn_doc(m.encoding, m.encoder_output, 'keyterms'), new.dates"
	"  FROM (SELECT 1) LEFT JOIN memories m ON m.raw_id = new.id; END;",
	"CREATE TRIGGER memories_fts_ai AFTER INSERT ON memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', r.rowid, r.content, '', '', '', '', r.dates"
	"  FROM raw_memories r WHERE r.id = new.raw_id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT r.rowid, r.content, mn_doc(new.encoding, new.encoder_output, 'gist'),"
	"  mn_doc(new.encoding, new.encoder_output, 'summary'),"
	"  mn_doc(new.encoding, new.encoder_output, 'concepts'),"
	"  mn_doc(new.encoding, new.encoder_output, 'keyterms'),"
	"  r.dates FROM raw_memories r WHERE r.id = new.raw_id; END;",
	"CREATE TRIGGER memories_fts_ad AFTER DELETE ON memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', r.rowid, r.content,"
	"  mn_doc(old.encoding, old.encoder_output, 'gist'),"
	"  mn_doc(old.encoding, old.encoder_output, 'summary'),"
	"  mn_doc(old.encoding, old.encoder_output, 'concepts'),"
	"  mn_doc(old.encoding, old.encoder_output, 'keyterms'),"
	"  r.dates FROM raw_memories r WHERE r.id = old.raw_id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT r.rowid, r.content, '', '', '', '', r.dates"
	"  FROM raw_memories r WHERE r.id = old.raw_id; END;",
	"CREATE TRIGGER memories_fts_au AFTER UPDATE OF encoding, encoder_output"
	"  ON memories BEGIN"
	"  INSERT INTO recall_fts(recall_fts, rowid, content, gist, summary, concepts, keyterms,"
	"  dates) SELECT 'delete', r.rowid, r.content,"
	"  mn_doc(old.encoding, old.encoder_output, 'gist'),"
	"  mn_doc(old.encoding, old.encoder_output, 'summary'),"
	"  mn_doc(old.encoding, old.encoder_output, 'concepts'),"
	"  mn_doc(old.encoding, old.encoder_output, 'keyterms'),"
	"  r.dates FROM raw_memories r WHERE r.id = old.raw_id;"
	"  INSERT INTO recall_fts(rowid, content, gist, summary, concepts, keyterms, dates)"
	"  SELECT r.rowid, r.content, mn_doc(new.encoding, new.encoder_output, 'gist'),"
	"  mn_doc(new.encoding, new.encoder_output, 'summary'),"
	"  mn_doc(new.encoding, new.encoder_output, 'concepts'),"
	"  mn_doc(new.encoding, new.encoder_output, 'keyterms'),"
	"  r.dates FROM raw_memories r WHERE r.id = new.raw_id; END;",
	"INSERT INTO recall_fts(recall_fts) VALUES ('rebuild');",
	NULL,
};

/* Each step is a NULL-terminated list of statements run in one transaction. */
static const char *const *const mn_store_migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_5,
	migration_6,
	migration_7,
};

#define MN_STORE_N_MIGRATIONS (sizeof(mn_store_migrations) / sizeof(mn_store_migrations[0]))

#endif
