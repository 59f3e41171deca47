// Package inventory reads the CMDB (kind "inventory"): CSV with a host
// column, or JSON lines with a "host" field, every other column a typed
// attribute and every bool column a set.
package inventory
