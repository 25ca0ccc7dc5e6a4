// Package store opens the database (embedded SQLite by default, PostgreSQL by
// URL) and migrates the models the domain packages own. It holds no models and
// no queries of its own.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	moderncsqlite "modernc.org/sqlite"
)

// sqliteStatements is how many prepared statements each SQLite connection
// keeps (store/stmtcache.go), least recently used out first: the call
// path's are a dozen; the rest are the API's and the reports'.
const sqliteStatements = 256

// postgresIdleConns is how many PostgreSQL connections stay open between
// statements.
const postgresIdleConns = 32

// IsPostgres reports whether dsn names a PostgreSQL server rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database dsn names: a postgres:// URL, or else a SQLite
// file path (its folder is created).
func Open(dsn string, log *slog.Logger) (*gorm.DB, error) {
	if dsn == "" {
		return nil, errors.New("open database: no path or URL given")
	}
	cfg := &gorm.Config{
		Logger:                 newSQLLogger(log, time.Second),
		TranslateError:         true,
		SkipDefaultTransaction: true,
	}
	if IsPostgres(dsn) {
		db, err := gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		// database/sql keeps two idle connections by default: at the busy
		// hour the calls' concurrent reads and writes opened and closed a
		// PostgreSQL connection (a server process) for most statements.
		sqlDB.SetMaxIdleConns(postgresIdleConns)
		return db, nil
	}
	if dir := filepath.Dir(dsn); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// WAL lets the API read while the registrar writes; busy_timeout makes a
	// second writer wait instead of failing; datetime columns are read as
	// times (_texttotime, _inttotime), written in SQLite's own format, and
	// read back in UTC (the driver would give the machine's zone).
	file := dsn + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		"&_texttotime=1&_inttotime=1&_time_format=sqlite&_timezone=UTC"
	connector, err := moderncsqlite.NewConnector(file)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	sqlDB := sql.OpenDB(cachingConnector{base: connector, size: sqliteStatements})
	db, err := gorm.Open(sqlite.New(sqlite.Config{Conn: sqlDB}), cfg)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	// One writer at a time is all SQLite allows; a single connection avoids
	// "database is locked" between our own goroutines.
	sqlDB.SetMaxOpenConns(1)
	return db, nil
}

// Migrate creates or updates the tables of models.
func Migrate(ctx context.Context, db *gorm.DB, models ...any) error {
	if err := db.WithContext(ctx).AutoMigrate(models...); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes the connection pool behind db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
