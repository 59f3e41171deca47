// Package yarn reads `yarn node -list -all` (also -showDetails) and
// `yarn node -status` reports (kind "yarn") into the host set yarn and its
// yarn.* attributes. See internal/ingest/testdata/fixtures/SOURCES.md §2.
package yarn
