package github

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// GitHub Actions reads every line a step prints for workflow commands: a
// line that starts, after leading white space, with "::" (::error::,
// ::add-mask::, ::stop-commands::), and anywhere in a line the older
// "##[command]" form. A report from a pull request's artifact is its
// author's text, so a benchmark named "BenchmarkX\n::error::..." printed as
// is would have the commenting job (the one with the write token) forge
// annotations or stop the log's command processing. The runner's own
// escaping rules are below; LogSafe applies them to text from a report, and
// commandSafe guards whole lines on their way out of `perfslo comment`.

// EscapeData escapes s for the message of a workflow command
// (::warning::MESSAGE), as the runner unescapes it: %, CR and LF.
func EscapeData(s string) string {
	return dataEscaper.Replace(s)
}

// EscapeProperty escapes s for a property of a workflow command
// (::warning file=F,title=T::), as the runner unescapes it: the data's
// characters, then ":" and ",".
func EscapeProperty(s string) string {
	return propertyEscaper.Replace(s)
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// LogSafe makes untrusted text fit for one line of a workflow's log, where
// it cannot be read as a workflow command: line breaks and other control
// characters are escaped as the command data rules escape CR and LF (%0A),
// and "::" and "##[" are broken with an escape, so the text starts no
// command wherever it lands in the line.
func LogSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '%':
			b.WriteString("%25")
		case r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, "%%%02X", r)
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			// Unicode line breaks: a log viewer may split on them.
			fmt.Fprintf(&b, "%%u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	out = strings.ReplaceAll(out, "::", ":%3A")
	return strings.ReplaceAll(out, "##[", "#%23[")
}

// zwsp is a zero-width space: not white space to the runner's TrimStart,
// invisible to a reader, so "::" broken by it starts no command.
const zwsp = "\u200b"

// neutralize breaks a workflow command in line: a "::" that starts it
// (after white space) and any "##[".
func neutralize(line []byte) []byte {
	trimmed := bytes.TrimLeftFunc(line, unicode.IsSpace)
	if bytes.HasPrefix(trimmed, []byte("::")) {
		i := len(line) - len(trimmed)
		line = append(append(append([]byte(nil), line[:i+1]...), zwsp...), line[i+1:]...)
	}
	if bytes.Contains(line, []byte("##[")) {
		line = bytes.ReplaceAll(line, []byte("##["), []byte("#"+zwsp+"#["))
	}
	return line
}

// commandSafe is a writer that passes whole lines through neutralize: the
// backstop for text printed verbatim (the comment's markdown, with a
// failing benchmark's output in it). Close flushes a last partial line.
type commandSafe struct {
	w    io.Writer
	line []byte
}

func (c *commandSafe) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			c.line = append(c.line, p...)
			break
		}
		c.line = append(c.line, p[:i+1]...)
		p = p[i+1:]
		if _, err := c.w.Write(neutralize(c.line)); err != nil {
			return 0, err
		}
		c.line = c.line[:0]
	}
	return n, nil
}

// Close writes what is left of the last line.
func (c *commandSafe) Close() error {
	if len(c.line) == 0 {
		return nil
	}
	_, err := c.w.Write(neutralize(c.line))
	c.line = nil
	return err
}
