package clickhouse

// SetMaxListedDuplicates sets how many duplicated touched events
// ReadEventsSince lists in its queries, for a test; the returned function
// restores it.
func SetMaxListedDuplicates(n int) (restore func()) {
	old := maxListedDuplicates
	maxListedDuplicates = n
	return func() { maxListedDuplicates = old }
}
