// Package sink writes alerts where they must go: the alert log on disk
// (first, before anything else sees an alert) and Falco-style JSON lines on
// stdout. Each alert arrives as one JSON line, marshalled once by the
// pipeline.
package sink

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/natefinch/lumberjack.v2"
)

// DefaultAlertLog is where alerts are appended unless --alerts-log says
// otherwise.
const DefaultAlertLog = "/var/log/ttpwatch/alerts.jsonl"

// Rotation of the alert log: files of at most RotateMB megabytes, keeping
// RotateKeep rotated files beside the current one.
const (
	RotateMB   = 100
	RotateKeep = 5
)

// Sink receives alerts as JSON lines (without the trailing newline).
type Sink interface {
	WriteAlert(line []byte) error
	Close() error
}

// AlertLog appends alerts as JSON lines to a file, rotated by size. Each
// WriteAlert is one write(2) of the whole line to the file, unbuffered, so
// an alert that was written survives a crash of ttpwatch. It is safe for
// concurrent use.
type AlertLog struct {
	path string
	mu   sync.Mutex
	lj   *lumberjack.Logger
	buf  []byte
}

// OpenAlertLog opens (creating with mode 0600, and its directory with 0700)
// the alert log at path. It checks at once that the file can be written, so
// a bad path fails at startup with an error saying what to do.
func OpenAlertLog(path string) (*AlertLog, error) {
	if path == "" {
		return nil, errors.New("alert log path is empty; choose one with --alerts-log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, unwritable(path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, unwritable(path, err)
	}
	if err := f.Close(); err != nil {
		return nil, unwritable(path, err)
	}
	return &AlertLog{path: path, lj: &lumberjack.Logger{
		Filename: path, MaxSize: RotateMB, MaxBackups: RotateKeep,
	}}, nil
}

// unwritable words the startup error: the cause without Go's op/path
// prefix, and the way out.
func unwritable(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot write alert log %s: %w; choose another with --alerts-log or run as root", path, err)
}

// Path returns the alert log's file name.
func (l *AlertLog) Path() string { return l.path }

// WriteAlert appends line and a newline in one write, with characters a
// terminal would act on escaped (see appendTerminalSafe).
func (l *AlertLog) WriteAlert(line []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(appendTerminalSafe(l.buf[:0], line), '\n')
	if _, err := l.lj.Write(l.buf); err != nil {
		return fmt.Errorf("append to alert log %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file.
func (l *AlertLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.lj.Close(); err != nil {
		return fmt.Errorf("close alert log %s: %w", l.path, err)
	}
	return nil
}

// JSONLines writes alerts as JSON lines to a writer (stdout for --json),
// one write per alert so lines never interleave. It is safe for concurrent
// use. Close does not close the writer.
type JSONLines struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewJSONLines returns a sink writing to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// WriteAlert writes line and a newline, escaped as WriteAlert of AlertLog.
func (j *JSONLines) WriteAlert(line []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = append(appendTerminalSafe(j.buf[:0], line), '\n')
	if _, err := j.w.Write(j.buf); err != nil {
		return fmt.Errorf("write json alert: %w", err)
	}
	return nil
}

// Close flushes w when it has a Flush method (a bufio.Writer).
func (j *JSONLines) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if f, ok := j.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("flush json alerts: %w", err)
		}
	}
	return nil
}

// appendTerminalSafe appends a JSON line to dst with every character a
// terminal could act on written as a \u escape: DEL, the C1 controls and
// Unicode format characters (bidi overrides, zero-width joiners, tags).
// encoding/json already escapes C0 controls and replaces invalid UTF-8, but
// leaves these raw, and alert logs get read with tail -f. The result is the
// same JSON value: these characters only occur inside strings.
func appendTerminalSafe(dst, line []byte) []byte {
	start := 0
	for i := 0; i < len(line); {
		c := line[i]
		if c < utf8.RuneSelf && c != 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		if r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r != utf8.RuneError && unicode.Is(unicode.Cf, r)) {
			dst = append(dst, line[start:i]...)
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				dst = appendU(appendU(dst, r1), r2)
			} else {
				dst = appendU(dst, r)
			}
			start = i + size
		}
		i += size
	}
	return append(dst, line[start:]...)
}

func appendU(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}
