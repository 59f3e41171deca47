//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// releaseMapped does nothing where fleetq does not release mapped pages.
func releaseMapped(*bolt.Tx) {}
