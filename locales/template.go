package locales

import (
	"slices"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n/template"
)

// messageParser is the template parser every message is rendered with
// (go-i18n's LocalizeConfig.TemplateParser). The message files use a small
// part of text/template: {{.Name}} and {{if .Name}}…{{end}}, with string
// values (Localizer.data). For those it keeps the message as a list of
// pieces and fills them in directly, where text/template keeps a parse
// tree of a dozen objects per message and renders through reflection:
// with every message of the twelve languages rendered once, the catalog
// held 9.3 MB in 119,000 objects, which the collector marks on every cycle
// under the process's 32 MiB limit; now 5.3 MB in 40,000
// (BenchmarkCatalogEveryMessage).
//
// Anything else — another action, other delimiters, a value that is not a
// string, a missing one — goes to go-i18n's own text/template parser, so a
// message renders exactly as text/template renders it, whatever a
// translator writes (TestMessageParserRendersAsTextTemplate compares the
// two on each construct, TestEveryMessageRendersAsTextTemplate on every
// message of every language).
type messageParser struct{}

// Cacheable: go-i18n keeps each parsed message with its template.
func (messageParser) Cacheable() bool { return true }

// Parse compiles src, or hands it to text/template when it uses more than
// the fields and ifs described above.
func (messageParser) Parse(src, leftDelim, rightDelim string) (template.ParsedTemplate, error) {
	slow := &template.TextParser{}
	if (leftDelim != "" && leftDelim != "{{") || (rightDelim != "" && rightDelim != "}}") {
		return slow.Parse(src, leftDelim, rightDelim)
	}
	if !strings.Contains(src, "{{") {
		return plainTemplate(src), nil
	}
	var pieces []piece
	if !compile(&pieces, src) {
		return slow.Parse(src, leftDelim, rightDelim)
	}
	return &piecesTemplate{src: src, pieces: slices.Clip(pieces)}, nil
}

// plainTemplate is a message without actions: text/template gives its
// text whatever the data.
type plainTemplate string

func (t plainTemplate) Execute(any) (string, error) { return string(t), nil }

// piece is one part of a compiled message, in order: literal text, a
// field's value ({{.Name}}), or an if ({{if .Name}}); an if whose value is
// empty goes on at pieces[end], just after its {{end}}.
type piece struct {
	s    string // the text, or the field's name
	kind pieceKind
	end  int32
}

type pieceKind uint8

const (
	textPiece pieceKind = iota
	fieldPiece
	ifPiece
)

// compile appends src's pieces; false for anything but text, fields and
// ifs with their ends (text/template's then).
func compile(pieces *[]piece, src string) bool {
	var open []int // the ifs not yet ended, by index
	for src != "" {
		at := strings.Index(src, "{{")
		if at < 0 {
			*pieces = append(*pieces, piece{s: src})
			break
		}
		if at > 0 {
			*pieces = append(*pieces, piece{s: src[:at]})
		}
		closing := strings.Index(src[at:], "}}")
		if closing < 0 {
			return false
		}
		action := strings.TrimSpace(src[at+2 : at+closing])
		src = src[at+closing+2:]
		// Anything but "end", "if .Name" and ".Name" (a trim marker
		// "{{- ", a comment, a pipeline, else) is text/template's.
		switch {
		case action == "end":
			if len(open) == 0 {
				return false
			}
			(*pieces)[open[len(open)-1]].end = int32(len(*pieces))
			open = open[:len(open)-1]
		case strings.HasPrefix(action, "if "):
			name, ok := fieldName(strings.TrimSpace(action[len("if "):]))
			if !ok {
				return false
			}
			open = append(open, len(*pieces))
			*pieces = append(*pieces, piece{s: name, kind: ifPiece})
		default:
			name, ok := fieldName(action)
			if !ok {
				return false
			}
			*pieces = append(*pieces, piece{s: name, kind: fieldPiece})
		}
	}
	return len(open) == 0
}

// fieldName is the name in ".Name": ASCII letters, digits and underscores,
// not starting with a digit (what text/template reads as a map key).
func fieldName(s string) (string, bool) {
	if len(s) < 2 || s[0] != '.' {
		return "", false
	}
	name := s[1:]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return "", false
		}
	}
	return name, true
}

// piecesTemplate is a compiled message. slow is text/template's parse of
// the same source, made only when a render needs it (a value that is not
// a string, a missing one, data that is not a map).
type piecesTemplate struct {
	src    string
	pieces []piece

	slowOnce sync.Once
	slow     template.ParsedTemplate
	slowErr  error
}

// Execute fills the message in from data, a map of string values; with
// any other value it renders through text/template.
func (t *piecesTemplate) Execute(data any) (string, error) {
	if m, ok := data.(map[string]any); ok {
		var b strings.Builder
		b.Grow(len(t.src) + 64)
		if fill(&b, t.pieces, m) {
			return b.String(), nil
		}
	}
	t.slowOnce.Do(func() {
		t.slow, t.slowErr = (&template.TextParser{}).Parse(t.src, "", "")
	})
	if t.slowErr != nil {
		return "", t.slowErr
	}
	return t.slow.Execute(data)
}

// fill writes pieces with m's values; false when a value it needs is
// missing or not a string (text/template's own printing then decides).
func fill(b *strings.Builder, pieces []piece, m map[string]any) bool {
	for i := 0; i < len(pieces); i++ {
		p := &pieces[i]
		if p.kind == textPiece {
			b.WriteString(p.s)
			continue
		}
		v, ok := m[p.s].(string)
		if !ok {
			return false
		}
		switch {
		case p.kind == fieldPiece:
			b.WriteString(v)
		case v == "":
			i = int(p.end) - 1
		}
	}
	return true
}
