package clickhouse

// SetMaxListedDuplicates sets how many duplicated touched events
// ReadEventsSince lists in its queries, for a test; the returned function
// restores it.
func SetMaxListedDuplicates(n int) (restore func()) {
	old := maxListedDuplicates
	maxListedDuplicates = n
	return func() { maxListedDuplicates = old }
}

// SetResultChunks sets the rows and event ids of one insert of a write to
// rule_results, for a test; the returned function restores them.
func SetResultChunks(rows, ids int) (restore func()) {
	oldRows, oldIDs := resultChunkRows, resultChunkIDs
	resultChunkRows, resultChunkIDs = rows, ids
	return func() { resultChunkRows, resultChunkIDs = oldRows, oldIDs }
}
