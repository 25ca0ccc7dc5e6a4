package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	moderncsqlite "modernc.org/sqlite"
)

// cachedDB opens a SQLite database on one connection whose statements are
// kept, size at most.
func cachedDB(t *testing.T, size int) *sql.DB {
	t.Helper()
	connector, err := moderncsqlite.NewConnector(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(cachingConnector{base: connector, size: size})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	return db
}

// kept returns the texts the connection keeps statements for.
func kept(t *testing.T, db *sql.DB) []string {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var keys []string
	conn.Raw(func(dc any) error {
		c := dc.(*cachingConn)
		c.mu.Lock()
		defer c.mu.Unlock()
		keys = c.stmts.Keys()
		return nil
	})
	return keys
}

func TestStatementsAreKeptAndReused(t *testing.T) {
	db := cachedDB(t, 8)
	const insert = "INSERT INTO t (v) VALUES (?)"
	for _, v := range []string{"a", "b", "c"} {
		if _, err := db.Exec(insert, v); err != nil {
			t.Fatal(err)
		}
	}
	// A failure (the unique v) leaves the kept statement usable.
	if _, err := db.Exec(insert, "a"); err == nil {
		t.Fatal("a duplicate was inserted")
	}
	if _, err := db.Exec(insert, "d"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t WHERE v > ?", "a").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count %d, %v", n, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM t WHERE v > ?", "c").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count %d, %v", n, err)
	}
	keys := kept(t, db)
	if len(keys) != 3 { // the CREATE, the INSERT, the SELECT: each once
		t.Fatalf("kept %q", keys)
	}
}

func TestAStatementReadTwiceAtOnce(t *testing.T) {
	db := cachedDB(t, 8)
	for _, v := range []string{"a", "b", "c"} {
		if _, err := db.Exec("INSERT INTO t (v) VALUES (?)", v); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = "SELECT v FROM t WHERE v >= ? ORDER BY v"
	outer, err := tx.Query(q, "a")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v string
		outer.Scan(&v)
		// The same text while its kept statement is being read: it must run
		// on its own, not reset the outer cursor.
		var inner []string
		rows, err := tx.Query(q, v)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w string
			rows.Scan(&w)
			inner = append(inner, w)
		}
		rows.Close()
		got = append(got, v+":"+inner[0])
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if len(got) != 3 || got[0] != "a:a" || got[2] != "c:c" {
		t.Fatalf("read %q", got)
	}
}

func TestAStatementLeavingTheCacheWhileReadIsClosedAfter(t *testing.T) {
	db := cachedDB(t, 1)
	for _, v := range []string{"a", "b"} {
		if _, err := db.Exec("INSERT INTO t (v) VALUES (?)", v); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.Query("SELECT v FROM t ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	// Another statement pushes the one being read out of a cache of one.
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d, %v", n, err)
	}
	var vs []string
	for ok := true; ok; ok = rows.Next() {
		var v string
		rows.Scan(&v)
		vs = append(vs, v)
	}
	if err := rows.Close(); err != nil || len(vs) != 2 {
		t.Fatalf("read %q after its statement left the cache: %v", vs, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if keys := kept(t, db); len(keys) != 1 || keys[0] != "SELECT count(*) FROM t" {
		t.Fatalf("kept %q", keys)
	}
}

func TestACanceledQueryLeavesTheStatementUsable(t *testing.T) {
	db := cachedDB(t, 8)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const q = "SELECT count(*) FROM t"
	var n int
	if err := db.QueryRowContext(ctx, q).Scan(&n); !errors.Is(err, context.Canceled) {
		t.Fatalf("a canceled query: %v", err)
	}
	if err := db.QueryRow(q).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after a canceled query: %d %v", n, err)
	}
}
