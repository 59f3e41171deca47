package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

const schemaVersion = 1

var (
	bucketMeta   = []byte("meta")
	bucketHosts  = []byte("hosts")
	bucketBlobs  = []byte("blobs")
	bucketPasses = []byte("passes")

	keyVersion = []byte("version")
	keyNHosts  = []byte("nhosts")
)

// DB is an open fleetq database.
type DB struct {
	bolt     *bolt.DB
	path     string
	readOnly bool
	created  bool
	note     []byte // the lock note this process wrote (owner.go)
}

// Created reports whether Open created the file.
func (db *DB) Created() bool { return db.created }

// Options control Open.
type Options struct {
	ReadOnly bool
	// Create allows a missing file to be created (writers only).
	Create bool
	// Timeout is how long to wait for the file lock; 0 means 10s.
	Timeout time.Duration
	// Owner names this process's command in the lock note that a blocked
	// writer prints ("fleetq ingest"): a command name, never its arguments.
	Owner string
	// Waiting, when set, is called once when the file lock is held by
	// another process and Open starts to wait for it, with who holds it
	// ("held by pid 4242 (fleetq drain, …)").
	Waiting func(holder string)
	// WriteHint, for a writer, is about how many bytes it will write in
	// one transaction (an ingest's estimate of its pass). From 64 MiB on,
	// the file is mapped that much larger from the start (initialMapSize).
	WriteHint int64

	waited *bool // Waiting was called (set by open)
}

// Open opens the database at path. A missing file is an error unless
// opts.Create is set, so a typo in --db never creates an empty database.
func Open(path string, opts Options) (*DB, error) {
	return OpenContext(context.Background(), path, opts)
}

// OpenContext is Open whose wait for the file lock ends, with ctx's error,
// when ctx is done (lockwait.go).
func OpenContext(ctx context.Context, path string, opts Options) (*DB, error) {
	for try := 0; ; try++ {
		db, err := open(ctx, path, opts)
		if !errors.Is(err, errMoved) || try == 3 {
			return db, err
		}
		// The file was compacted and replaced while this process waited
		// for its lock: open the file now at path.
	}
}

// errMoved is returned by open when the locked file is one that
// compaction replaced (its schema version was set to 0).
var errMoved = errors.New("file replaced by a compacted copy")

func open(ctx context.Context, path string, opts Options) (*DB, error) {
	_, err := os.Stat(path)
	missing := errors.Is(err, os.ErrNotExist)
	if err != nil {
		if !missing {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		if !opts.Create || opts.ReadOnly {
			return nil, fmt.Errorf("%s: %w", path, ErrNoDatabase)
		}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	deadline := time.Now().Add(opts.Timeout)
	opts.waited = new(bool)
	if !missing {
		if err := checkFile(ctx, path, opts, deadline); errors.Is(err, berrors.ErrTimeout) {
			return nil, openError(path, err)
		} else if err != nil {
			return nil, err
		}
	}
	b, err := openBoltWait(ctx, path, opts, deadline)
	if err != nil {
		return nil, openError(path, err)
	}
	db := &DB{bolt: b, path: path, readOnly: opts.ReadOnly, created: missing}
	if err := guard("reading "+path, db.init); err != nil {
		b.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !opts.ReadOnly {
		if db.note, err = writeOwner(path, opts.Owner); err != nil {
			b.Close()
			return nil, err
		}
	}
	return db, nil
}

func openError(path string, err error) error {
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("%s: %w: %s", path, ErrLocked, lockHolder(path))
	}
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrChecksum) {
		return fmt.Errorf("%s: %w (%v)", path, ErrNotFleetq, err)
	}
	return fmt.Errorf("open %s: %w", path, err)
}

func (db *DB) init() error {
	if db.readOnly {
		return db.bolt.View(func(tx *bolt.Tx) error { return checkSchema(tx) })
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			if tx.Bucket(bucketPasses) != nil || firstBucket(tx) != nil {
				return ErrNotFleetq
			}
			return createBuckets(tx)
		}
		return checkSchema(tx)
	})
}

func firstBucket(tx *bolt.Tx) []byte {
	k, _ := tx.Cursor().First()
	return k
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketHosts, bucketBlobs, bucketPasses} {
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(keyVersion, u64(schemaVersion))
}

func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("%w: missing meta bucket", ErrNotFleetq)
	}
	v := meta.Get(keyVersion)
	if len(v) == 8 && binary.BigEndian.Uint64(v) == 0 {
		return errMoved
	}
	if len(v) != 8 || binary.BigEndian.Uint64(v) != schemaVersion {
		return fmt.Errorf("%w: unsupported schema version", ErrNotFleetq)
	}
	for _, name := range [][]byte{bucketHosts, bucketBlobs, bucketPasses} {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("%w: missing %s bucket", ErrNotFleetq, name)
		}
	}
	return checkTopNames(tx)
}

// topBuckets are every name fleetq keeps at the top of the file; the
// ledger's buckets are made on first use.
var topBuckets = [][]byte{bucketMeta, bucketHosts, bucketBlobs, bucketPasses, bucketDeltas, bucketChains,
	bucketLedger, bucketLeases, bucketLastOp, bucketStarts, bucketFreezes, bucketAudit, bucketPolicies, bucketRollouts, bucketWeeks}

// checkTopNames refuses a name at the top of the file that fleetq never
// writes, or one that is not a bucket: a flipped byte in a bucket's name
// would otherwise hide it (an audit log would start again at 1).
func checkTopNames(tx *bolt.Tx) error {
	c := tx.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		known := false
		for _, name := range topBuckets {
			known = known || bytes.Equal(k, name)
		}
		switch {
		case !known:
			return fmt.Errorf("%w: unknown bucket %q at the top of the file (damaged)", ErrCorrupt, excerptKey(k))
		case v != nil:
			return fmt.Errorf("%w: %s is a value, not a bucket (damaged)", ErrCorrupt, k)
		}
	}
	return nil
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close releases the file.
func (db *DB) Close() error {
	if !db.readOnly {
		removeOwner(db.path, db.note)
	}
	return db.bolt.Close()
}

// View runs fn in a read transaction: one consistent snapshot. A read
// error a pass view recorded (Tx.Err) is returned in place of fn's result,
// and a fault or panic reading a damaged file is ErrCorrupt.
func (db *DB) View(fn func(*Tx) error) error {
	return db.guard("reading", func() error {
		return db.bolt.View(func(btx *bolt.Tx) error { t := newTx(btx); return t.result(fn(t)) })
	})
}

// Update runs fn in a write transaction; as View, and nothing is written
// when a read failed.
func (db *DB) Update(fn func(*Tx) error) error {
	return db.guard("updating", func() error {
		return db.bolt.Update(func(btx *bolt.Tx) error { t := newTx(btx); return t.result(fn(t)) })
	})
}

func (db *DB) guard(doing string, fn func() error) error {
	return guard(fmt.Sprintf("%s %s", doing, db.path), fn)
}

// Size is the database file size in bytes.
func (db *DB) Size() (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func u32(v uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	return b
}
