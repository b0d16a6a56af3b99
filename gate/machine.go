package gate

// Machine describes where benchmarks ran: the Go toolchain that built them,
// the platform and the CPU. A report's sides, a stored baseline and a
// calibration all carry one, and comparisons across machines say so.
type Machine struct {
	// GoVersion is the go command's version (the toolchain that built the
	// benchmarks, not perfslo's own).
	GoVersion string `json:"go_version,omitempty"`
	GOOS      string `json:"goos,omitempty"`
	GOARCH    string `json:"goarch,omitempty"`
	// CPU is the CPU's model name.
	CPU string `json:"cpu,omitempty"`
	// NumCPU is the number of logical CPUs; 0 when unknown.
	NumCPU int `json:"num_cpu,omitempty"`
}
