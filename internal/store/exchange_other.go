//go:build !linux

package store

import "errors"

// exchange is not available: replaceDir falls back to renaming aside.
var exchange = func(a, b string) error {
	return errors.ErrUnsupported
}
