package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// The SQLite driver compiles a statement's text again every time it runs
// unless it runs through a prepared statement; at the busy hour parsing was
// an eighth of the server's CPU, for the same dozen statements. gorm's own
// cache of prepared statements cannot be used with SQLite's one connection:
// it prepares on the pool, so a transaction holding the connection and
// waiting for a statement another goroutine is preparing waits for ever.
// This cache lives inside each connection instead, keyed by the
// statement's text, so there is nothing to wait for: a connection is used
// by one goroutine at a time.

// cachingConnector hands out connections that keep their statements.
type cachingConnector struct {
	base driver.Connector
	size int // statements kept per connection
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn, c.size)
}

func (c cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// cachingConn is a connection that runs a statement's text through the
// statement it prepared for that text before. The driver's connection must
// implement the context interfaces database/sql prefers (the SQLite driver
// does); they are all passed on, so database/sql sees the same connection.
type cachingConn struct {
	conn  driver.Conn
	query driver.QueryerContext
	exec  driver.ExecerContext
	prep  driver.ConnPrepareContext

	mu    sync.Mutex
	stmts *simplelru.LRU[string, *cachedStmt]
}

// cachedStmt is a kept statement; busy while a result of it is being read
// (a second query with the same text then runs on its own, uncached).
type cachedStmt struct {
	stmt    driver.Stmt
	busy    bool
	evicted bool // close it once its result is read
}

var errNotContextConn = errors.New("store: the driver's connection lacks the context interfaces")

func newCachingConn(conn driver.Conn, size int) (*cachingConn, error) {
	q, okq := conn.(driver.QueryerContext)
	e, oke := conn.(driver.ExecerContext)
	p, okp := conn.(driver.ConnPrepareContext)
	_, okb := conn.(driver.ConnBeginTx)
	if !okq || !oke || !okp || !okb {
		conn.Close()
		return nil, errNotContextConn
	}
	c := &cachingConn{conn: conn, query: q, exec: e, prep: p}
	lru, err := simplelru.NewLRU(size, func(_ string, s *cachedStmt) {
		// Called with c.mu held, from Add.
		if s.busy {
			s.evicted = true
			return
		}
		s.stmt.Close()
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	c.stmts = lru
	return c, nil
}

// take returns the kept statement for query, prepared now if it was not,
// marked busy; nil if it is busy already or cannot be prepared alone (the
// caller then runs the text directly).
func (c *cachingConn) take(ctx context.Context, query string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts.Get(query); ok {
		if s.busy {
			return nil
		}
		s.busy = true
		return s
	}
	st, err := c.prep.PrepareContext(ctx, query)
	if err != nil {
		return nil // the direct run reports the error
	}
	s := &cachedStmt{stmt: st, busy: true}
	c.stmts.Add(query, s)
	return s
}

// give marks s free again, closing it if it left the cache meanwhile.
func (c *cachingConn) give(s *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.busy = false
	if s.evicted {
		s.stmt.Close()
	}
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.query.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.give(s)
		return nil, err
	}
	typed, ok := rows.(typedRows)
	if !ok { // not the driver this was written for: no cache for results
		rows.Close()
		c.give(s)
		return c.query.QueryContext(ctx, query, args)
	}
	return &cachedRows{typedRows: typed, c: c, s: s}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.exec.ExecContext(ctx, query, args)
	}
	defer c.give(s)
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.prep.PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.conn.(driver.ConnBeginTx).BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// Close closes the kept statements, then the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	for _, s := range c.stmts.Values() {
		s.stmt.Close()
	}
	c.stmts.Purge() // the eviction callback sees them closed: not busy
	c.mu.Unlock()
	return c.conn.Close()
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Unwrap returns the driver's own connection.
func (c *cachingConn) Unwrap() driver.Conn { return c.conn }

// typedRows is a result that describes its columns, as the SQLite
// driver's do: gorm reads the column types, so the wrapper must keep them.
type typedRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows is the result of a kept statement: closing it frees the
// statement for the next query with its text.
type cachedRows struct {
	typedRows
	c    *cachingConn
	s    *cachedStmt
	once sync.Once
}

func (r *cachedRows) Close() error {
	err := r.typedRows.Close()
	r.once.Do(func() { r.c.give(r.s) })
	return err
}
