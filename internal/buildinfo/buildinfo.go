// Package buildinfo names the perfslo binary's version: the module version
// of a released build, else the VCS revision it was built from. The gate
// records it in reports and in the base-binary cache's keys.
package buildinfo

import "runtime/debug"

// Version is the module version, or "devel REV[+dirty]" for a dev build,
// "devel" without VCS information, "unknown" without build information.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return version(info)
}

func version(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "devel " + rev
}
