// Package interrupt turns SIGINT and SIGTERM into a cancelled context, and
// a second one into an immediate exit.
//
// The first signal lets perfslo stop its benchmark processes and remove
// the base worktree and its temporary files. That cleanup can take a while
// (git removing a large worktree, a slow disk) or hang (a stuck network
// filesystem); a user who presses Ctrl-C again means "now". With
// signal.NotifyContext the second signal is delivered to the same, already
// drained channel and nothing happens.
package interrupt

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit is the exit code after a second interrupt: 128 + SIGINT, what a
// shell reports for a program killed by Ctrl-C.
const Exit = 130

// Context returns a context that the first SIGINT or SIGTERM cancels; the
// second exits the process at once with Exit, without cleanup. Messages go
// to w. stop stops listening and restores the default behaviour.
func Context(parent context.Context, w io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(w, "perfslo: %s: stopping and cleaning up (interrupt again to quit at once)\n", s)
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			fmt.Fprintf(w, "perfslo: %s again: quitting without cleanup\n", s)
			os.Exit(Exit)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		select {
		case <-done:
		default:
			close(done)
		}
		cancel()
	}
}
