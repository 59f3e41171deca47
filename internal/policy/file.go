package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Verbs are the action verbs, in the order help and reports list them.
var Verbs = []string{"drain", "undrain", "reboot", "rekick", "burnin", "firmware"}

// IsVerb reports whether v is an action verb.
func IsVerb(v string) bool {
	for _, x := range Verbs {
		if x == v {
			return true
		}
	}
	return false
}

// FileName is the policy looked for beside the database.
const FileName = "fleetq.policy.toml"

// Find resolves the policy path (a file or a directory): flag, else
// $FLEETQ_POLICY (env), else fleetq.policy.toml or fleetq.policy.d/
// beside the database. Neither is ErrNoPolicy; both is an error too, so
// a half-done move to a directory never silently picks one.
func Find(flag, env, dbPath string) (string, error) {
	for _, p := range []string{flag, env} {
		if p != "" {
			return p, nil
		}
	}
	file := filepath.Join(filepath.Dir(dbPath), FileName)
	dir := filepath.Join(filepath.Dir(dbPath), DirName)
	_, ferr := os.Stat(file)
	_, derr := os.Stat(dir)
	switch {
	case ferr == nil && derr == nil:
		return "", fmt.Errorf("%w: both %s and %s lie beside the database: remove one, or say which with --policy", ErrInvalid, file, dir)
	case derr == nil:
		return dir, nil
	case ferr == nil:
		return file, nil
	}
	return "", fmt.Errorf("%w: give --policy FILE|DIR, set $FLEETQ_POLICY, or put %s or %s/ beside the database (see examples/policy.toml, examples/policy/)", ErrNoPolicy, FileName, DirName)
}

// Load reads and parses a policy file, or a policy directory (LoadDir).
func Load(path string) (*Policy, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return LoadDir(path)
	}
	data, err := readFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist", ErrNoPolicy, path)
		}
		return nil, err
	}
	p, err := Parse(data)
	var le *lineError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("%s:%d: %w", path, le.line, le.err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.Path = path
	return p, nil
}

// Sources returns where the keys of a policy are written: for a
// directory its merged files, for a single file that file.
func (p *Policy) sources() *merged {
	if p.src == nil {
		name := p.Path
		if name == "" {
			name = "policy"
		}
		m, err := mergeFiles([]srcFile{{Name: name, Text: p.Text}})
		if err != nil { // it parsed once: cannot happen, but never panic
			m = &merged{tree: map[string]any{}, origin: map[string]Loc{}, inline: map[string]bool{}}
		}
		p.src = m
	}
	return p.src
}

// Locate returns the file and line of the key at path p ("health",
// "verb.drain.rate", "archetype[1].clusters", "cluster.NAME.drain").
func (p *Policy) Locate(path string) Loc { return p.sources().Locate(path) }

// IsDir reports whether the policy was read from a directory.
func (p *Policy) IsDir() bool { return isBundle(p.Text) }

// Hash is the hex sha256 of a policy text, as decisions record it.
func Hash(text []byte) string {
	h := sha256.Sum256(text)
	return hex.EncodeToString(h[:])
}

// Parse decodes and validates a policy: a single file's text, or the
// bundle of a directory as decisions store it. Unknown keys are errors,
// so a misspelt limit is never silently ignored.
func Parse(text []byte) (*Policy, error) {
	if isBundle(text) {
		files, err := unbundle(text)
		if err != nil {
			return nil, err
		}
		return parseFiles(files)
	}
	p, err := parseText(text)
	if err != nil {
		return nil, locateKeyError(err, text)
	}
	p.Text, p.Hash = text, Hash(text)
	return p, nil
}

// locateKeyError puts the line of a bad key of a single file's text in
// front of its error (a directory's are located by the merge).
func locateKeyError(err error, text []byte) error {
	var ke *keyError
	if !errors.As(err, &ke) {
		return err
	}
	idx, _ := lineIndex(string(text))
	if line := lookupLine(idx, ke.path); line > 0 {
		return &lineError{line, err}
	}
	return err
}

// lineError is an error at a line of a single policy file; Load names
// the file in front of it (FILE:LINE: …).
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// unknownKeys is the error of keys no policy setting reads.
type unknownKeys struct{ keys []string }

func (e *unknownKeys) Error() string { return "unknown key " + strings.Join(e.keys, ", ") }

// parseText decodes and validates one TOML text.
func parseText(text []byte) (*Policy, error) {
	var raw rawPolicy
	md, err := toml.NewDecoder(bytes.NewReader(text)).Decode(&raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("%w: %w", ErrInvalid, &unknownKeys{keys})
	}
	p, err := raw.build()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}

// rawPolicy is the file as decoded, before defaults.
type rawPolicy struct {
	Unavailable     *string                 `toml:"unavailable"`
	ControlPlaneOut *bool                   `toml:"count_control_plane"`
	ClusterAttr     string                  `toml:"cluster_attr"`
	RackAttr        string                  `toml:"rack_attr"`
	GroupAttr       *string                 `toml:"replica_group_attr"`
	MaxGroups       *int                    `toml:"max_replica_groups"`
	MaxRequest      *int                    `toml:"max_request"`
	Health          string                  `toml:"health"`
	Decommissioned  *string                 `toml:"decommissioned"`
	ControlPlanes   *[]string               `toml:"rekick_control_planes"`
	Executor        []string                `toml:"executor"`
	Lease           *Duration               `toml:"lease"`
	ForceLease      *Duration               `toml:"force_lease"`
	Archetypes      []rawArchetype          `toml:"archetype"`
	Clusters        map[string]rawOverride  `toml:"cluster"`
	Limits          rawLimits               `toml:"limits"`
	Verb            map[string]rawVerbRules `toml:"verb"`
	Rollout         rawRollout              `toml:"rollout"`
	MaxEvidenceAge  *Duration               `toml:"max_evidence_age"`
	EvidenceAge     map[string]Duration     `toml:"evidence_age"`
	Drift           rawDrift                `toml:"drift"`
	Windows         *rawWindows             `toml:"windows"`
}

type rawBudgets struct {
	Any      *Budget `toml:"any"`
	Drain    *Budget `toml:"drain"`
	Undrain  *Budget `toml:"undrain"`
	Reboot   *Budget `toml:"reboot"`
	Rekick   *Budget `toml:"rekick"`
	Burnin   *Budget `toml:"burnin"`
	Firmware *Budget `toml:"firmware"`
}

type rawArchetype struct {
	Name     string    `toml:"name"`
	Clusters string    `toml:"clusters"`
	Gates    []rawGate `toml:"gate"`
	rawBudgets
	rawConstraints
}

type rawOverride struct {
	Archetype string    `toml:"archetype"`
	Gates     []rawGate `toml:"gate"`
	rawBudgets
	rawConstraints
}

type rawLimits struct {
	PerRack  *int     `toml:"per_rack"`
	PerGroup *int     `toml:"per_group"`
	Per      []rawPer `toml:"per"`
}

// rawPer is one [[limits.per]]: a budget over the values of an attribute.
type rawPer struct {
	Attr  string `toml:"attr"`
	Scope string `toml:"scope"`
	Budget
}

type rawVerbRules struct {
	Lease       *Duration `toml:"lease"`
	MaxDuration *Duration `toml:"max_duration"`
	Rate        string    `toml:"rate"`
	RateFloor   *int      `toml:"rate_floor"`
	Cooldown    *Duration `toml:"cooldown"`
	Budget      *bool     `toml:"budget"`
	Executor    []string  `toml:"executor"`
	Disruptive  *bool     `toml:"disruptive"`
}

type rawRollout struct {
	Metrics       []string `toml:"metrics"`
	Health        string   `toml:"health"`
	MinHosts      *int     `toml:"min_hosts"`
	MaxRegression *float64 `toml:"max_regression_pct"`
	MinHealthy    *float64 `toml:"min_healthy_pct"`
}

// readFile is os.ReadFile that stops after MaxFileBytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err == nil && len(data) > MaxFileBytes {
		err = fmt.Errorf("%s: %w: more than %d bytes (a policy is a file a person writes; see docs/limits.md)", path, ErrTooLarge, MaxFileBytes)
	}
	return data, err
}
