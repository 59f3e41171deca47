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

// Find resolves the policy path: flag, else $FLEETQ_POLICY (env), else
// fleetq.policy.toml beside the database. A missing file is ErrNoPolicy.
func Find(flag, env, dbPath string) (string, error) {
	for _, p := range []string{flag, env} {
		if p != "" {
			return p, nil
		}
	}
	p := filepath.Join(filepath.Dir(dbPath), FileName)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: give --policy FILE, set $FLEETQ_POLICY, or put %s beside the database (see examples/policy.toml)", ErrNoPolicy, FileName)
	}
	return p, nil
}

// Load reads and parses a policy file.
func Load(path string) (*Policy, error) {
	data, err := readFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist", ErrNoPolicy, path)
		}
		return nil, err
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.Path = path
	return p, nil
}

// Hash is the hex sha256 of a policy text, as decisions record it.
func Hash(text []byte) string {
	h := sha256.Sum256(text)
	return hex.EncodeToString(h[:])
}

// Parse decodes and validates a policy. Unknown keys are errors, so a
// misspelt limit is never silently ignored.
func Parse(text []byte) (*Policy, error) {
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
		return nil, fmt.Errorf("%w: unknown key %s", ErrInvalid, strings.Join(keys, ", "))
	}
	p, err := raw.build()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p.Text, p.Hash = text, Hash(text)
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
