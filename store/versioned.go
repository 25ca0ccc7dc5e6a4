package store

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
)

// Dialect names the SQL a database speaks, for the domain packages that
// keep their migrations as SQL files per dialect: "sqlite" or "postgres".
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// MigrateVersioned applies the numbered SQL migrations in fsys (goose
// files, "00001_name.sql") that the database has not had yet, recording
// them in the table goose_<name>, so each set (a domain package's) is
// versioned on its own. It takes the dialect's files from the folder of
// that name in fsys.
func MigrateVersioned(ctx context.Context, db *gorm.DB, name string, fsys fs.FS, log *slog.Logger) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if Dialect(db) == "postgres" {
		dialect = goose.DialectPostgres
	}
	sub, err := fs.Sub(fsys, Dialect(db))
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub, goose.WithTableName("goose_"+name),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	for _, r := range results {
		log.Info("migrated", "set", name, "version", r.Source.Version, "file", r.Source.Path)
	}
	return nil
}
