// Package procgroup runs a child process in a process group of its own, so
// that stopping it stops what it started too: a benchmark's helper servers,
// git's remote helpers (git-remote-https, ssh). Killing only the child
// would leave those running, loading the machine or, holding the child's
// output pipe open, keeping the parent's Wait from returning.
package procgroup
