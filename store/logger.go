package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqlLogger logs the statements that failed or ran slow, and nothing else.
// gorm's own slog logger renders every statement with its arguments before
// deciding whether to log it: a few percent of a call's CPU at the busy
// hour, spent on text nobody reads.
type sqlLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func newSQLLogger(log *slog.Logger, slow time.Duration) sqlLogger {
	return sqlLogger{log: log, slow: slow}
}

// LogMode is part of logger.Interface; the level is ours, set once.
func (l sqlLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l sqlLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.InfoContext(ctx, msg, "args", args)
}

func (l sqlLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, msg, "args", args)
}

func (l sqlLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, msg, "args", args)
}

// Trace logs a statement that failed (a record not found is an answer, not
// a failure) or took longer than the slow threshold; fc renders it only then.
func (l sqlLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	failed := err != nil && !errors.Is(err, gorm.ErrRecordNotFound)
	if !failed && elapsed <= l.slow {
		return
	}
	sql, rows := fc()
	attrs := []any{"duration", elapsed, "sql", sql, "rows", rows}
	if failed {
		l.log.ErrorContext(ctx, "SQL statement failed", append(attrs, "error", err)...)
		return
	}
	l.log.WarnContext(ctx, "slow SQL statement", attrs...)
}
