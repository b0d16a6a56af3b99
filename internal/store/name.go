package store

import (
	"fmt"
	"strings"
)

// maxNameLen keeps a baseline's directory name well inside every
// filesystem's limit, with room for the temporary-name prefix and suffix.
const maxNameLen = 100

// CheckName reports whether name can name a baseline. Names become directory
// names (and, in the git store, paths in a branch), so they are one path
// element of portable characters: letters, digits and . _ - + @ =, not
// starting with a dot (dot-names are the store's temporary files) and
// without "..".
func CheckName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("invalid baseline name %q: %s", name, why)
	}
	switch {
	case name == "":
		return fmt.Errorf("invalid baseline name: empty")
	case strings.ContainsAny(name, `/\`):
		return bad(`must not contain path separators (use "-" instead of "/")`)
	case strings.Contains(name, ".."):
		return bad(`must not contain ".."`)
	case name[0] == '.':
		return bad(`must not start with "."`)
	case len(name) > maxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", maxNameLen))
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("._-+@=", r)) {
			return bad(fmt.Sprintf("character %q not allowed (use letters, digits and . _ - + @ =)", r))
		}
	}
	return nil
}
