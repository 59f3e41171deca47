package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set by the Makefile with -ldflags "-X main.version=… -X main.buildTime=…";
// a `go install …@vX.Y.Z` build leaves them empty and the module version
// in the build info says the same.
var (
	version   string
	buildTime string
)

// buildInfo is what `fleetq version` prints: read from the binary itself.
type buildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Modified  bool   `json:"modified"`
	Committed string `json:"committed,omitempty"`
	Built     string `json:"built,omitempty"`
	Go        string `json:"go"`
	Platform  string `json:"platform"`
}

// readBuildInfo reads the version, VCS stamp and toolchain that `go build`
// recorded in the binary.
func readBuildInfo() buildInfo {
	bi := buildInfo{Version: version, Built: buildTime, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return withDefaultVersion(bi)
	}
	if bi.Version == "" && info.Main.Version != "(devel)" {
		bi.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.Revision = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		case "vcs.time":
			bi.Committed = s.Value
		}
	}
	return withDefaultVersion(bi)
}

func withDefaultVersion(bi buildInfo) buildInfo {
	if bi.Version == "" {
		bi.Version = "devel"
	}
	return bi
}

// text is the multi-line form printed by `fleetq version` and --version.
func (bi buildInfo) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleetq %s\n", bi.Version)
	rev := bi.Revision
	if rev == "" {
		rev = "unknown (built outside a git checkout)"
	} else if bi.Modified {
		rev += " (modified: built from a work tree with uncommitted changes)"
	}
	fmt.Fprintf(&b, "  revision   %s\n", rev)
	if bi.Committed != "" {
		fmt.Fprintf(&b, "  committed  %s\n", bi.Committed)
	}
	if bi.Built != "" {
		fmt.Fprintf(&b, "  built      %s\n", bi.Built)
	}
	fmt.Fprintf(&b, "  go         %s %s\n", bi.Go, bi.Platform)
	return b.String()
}

func newVersionCommand(a *app) *cobra.Command {
	return prints(&cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision, Go version and build time",
		Long: `Print what the binary knows about itself: its version (a release tag, or
the Makefile's git describe, or "devel"), the git revision it was built
from and whether that work tree had uncommitted changes, the commit time,
the build time (set by make), the Go toolchain and the platform.
'fleetq --version' prints the same. --format json gives one object.

Examples:
  fleetq version
  fleetq version --format json | jq -r .revision

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.print(readBuildInfo())
		},
	}, buildInfo{})
}

func (bi buildInfo) jsonValue() any { return bi }

func (bi buildInfo) writeText(w *textWriter) { _, _ = w.WriteString(bi.text()) }
