-- depends: 0070.history
-- Room on each page for the next version of a row. The worker's own tables (offsets, unit state) and the
-- current-row tables hold one row per key, rewritten with each batch that changes it. With full pages every
-- rewrite puts the new version on another page and adds an entry to each index; with half of each page free it
-- stays on its page and the indexes are left alone (a heap-only update), which PostgreSQL prunes as it goes.
-- Existing pages keep their layout until they are rewritten (VACUUM FULL); new pages follow at once.

ALTER TABLE dti.consumer_offset SET (fillfactor = 50);
ALTER TABLE dti.state_unit SET (fillfactor = 50);
ALTER TABLE dti.state_cell SET (fillfactor = 50);
ALTER TABLE dti.state_contribution SET (fillfactor = 50);
ALTER TABLE dti.state_indicator SET (fillfactor = 50);
ALTER TABLE dti.indicator_value_current SET (fillfactor = 50);
ALTER TABLE dti.indicator_status_current SET (fillfactor = 50);
ALTER TABLE dti.unit_score_current SET (fillfactor = 50);
ALTER TABLE dti.alert_current SET (fillfactor = 50);
