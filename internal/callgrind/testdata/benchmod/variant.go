package benchmod

// The base variant: nothing injected, sequential walk. The tests replace
// this file.

var stride uint64 = 1

func injected([]byte) uint64 { return 0 }
