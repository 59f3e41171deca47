// Package docs embeds the reference texts that the binary prints, so the
// files in this directory are the single source of what --help says.
package docs

import _ "embed"

// Language is docs/language.md, printed by `fleetq help language`.
//
//go:embed language.md
var Language string
