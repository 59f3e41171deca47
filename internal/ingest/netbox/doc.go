// Package netbox reads NetBox devices (kind "netbox", host set
// "inventory"): the device CSV export, or the /api/dcim/devices/ JSON of
// NetBox 2.x to 4.x.
package netbox
