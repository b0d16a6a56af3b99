// Package bounded reads files and collects output with a cap, so that a
// hostile or runaway input (a forged artifact, a benchmark that prints in a
// loop) costs perfslo a clear error or a cut, never all the memory.
package bounded

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is wrapped by ReadFile's error for a file over its cap.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads the file at path, or fails, naming the file and the cap,
// when it holds more than limit bytes. It reads at most limit+1 bytes, so a
// file that grows meanwhile, a FIFO or a device is refused the same way.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooLarge(path, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, -1, limit)
	}
	return data, nil
}

func tooLarge(path string, size, limit int64) error {
	if size < 0 {
		return fmt.Errorf("%s: %w: more than %s, the most perfslo reads", path, ErrTooLarge, Size(limit))
	}
	if size-limit < limit/100 {
		// Just over: rounded, both would read "64 MiB".
		return fmt.Errorf("%s: %w: %d bytes, over the %s perfslo reads (%d bytes)", path, ErrTooLarge, size, Size(limit), limit)
	}
	return fmt.Errorf("%s: %w: %s, over the %s perfslo reads", path, ErrTooLarge, Size(size), Size(limit))
}

// Size formats a byte count for a message: 64 MiB, 1.5 KiB, 12 bytes.
func Size(n int64) string {
	const k = 1024
	switch {
	case n >= k*k*k && n%(k*k*k) == 0:
		return fmt.Sprintf("%d GiB", n/(k*k*k))
	case n >= k*k:
		return trim(float64(n)/(k*k)) + " MiB"
	case n >= k:
		return trim(float64(n)/k) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trim(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
