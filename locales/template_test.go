package locales

import (
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
)

// renderBoth renders src with messageParser and with go-i18n's
// text/template parser, and says whether messageParser kept it to itself.
func renderBoth(t *testing.T, src string, data any) (got, want string, gotErr, wantErr error, fast bool) {
	t.Helper()
	pt, perr := messageParser{}.Parse(src, "", "")
	switch pt.(type) {
	case *piecesTemplate, plainTemplate:
		fast = true
	}
	if perr == nil {
		got, gotErr = pt.Execute(data)
	} else {
		gotErr = perr
	}
	tt, terr := (&template.TextParser{}).Parse(src, "", "")
	if terr == nil {
		want, wantErr = tt.Execute(data)
	} else {
		wantErr = terr
	}
	return got, want, gotErr, wantErr, fast
}

func TestMessageParserRendersAsTextTemplate(t *testing.T) {
	full := map[string]any{"Name": "Ahmad", "Action": "/pay", "A": "a", "B": "b", "Empty": ""}
	cases := []struct {
		name string
		src  string
		fast bool // messageParser compiles it itself
	}{
		{"plain text", "Hello", true},
		{"empty", "", true},
		{"one field", "Hello {{.Name}}!", true},
		{"spaces in the action", "Hello {{ .Name }}", true},
		{"if", "Sorry{{if .Action}}: “{{.Action}}”{{end}}.", true},
		{"if of an empty value", "x{{if .Empty}}never{{end}}y", true},
		{"nested ifs", "{{if .A}}<{{if .B}}{{.B}}{{end}}>{{end}}", true},
		{"field at both ends", "{{.A}}{{.B}}", true},
		{"closing braces in text", "a }} b {{.A}}", true},
		{"unicode text", "سلام {{.Name}} ሰላም", true},
		{"else", "{{if .A}}x{{else}}y{{end}}", false},
		{"trim marker", "a  {{- .A}}", false},
		{"comment", "a{{/* note */}}b", false},
		{"pipeline", `{{printf "%s!" .A}}`, false},
		{"dot", "{{.}}", false},
		{"nested field", "{{.Name.Sub}}", false},
		{"with", "{{with .A}}{{.}}{{end}}", false},
		{"non-ASCII field", "{{.Nämé}}", false},
		{"if without end", "{{if .A}}x", false},
		{"end without if", "x{{end}}", false},
		{"unclosed action", "x {{.A", false},
	}
	datas := []struct {
		name string
		data any
	}{
		{"every value set", full},
		{"every value empty", map[string]any{"Name": "", "Action": "", "A": "", "B": "", "Empty": ""}},
		{"values missing", map[string]any{}},
		{"values that are not strings", map[string]any{"Name": 3, "Action": 0, "A": true, "B": nil}},
		{"no data", nil},
	}
	for _, c := range cases {
		for _, d := range datas {
			t.Run(c.name+"/"+d.name, func(t *testing.T) {
				got, want, gotErr, wantErr, fast := renderBoth(t, c.src, d.data)
				if fast != c.fast {
					t.Errorf("compiled by messageParser: %v, want %v", fast, c.fast)
				}
				if got != want || (gotErr == nil) != (wantErr == nil) {
					t.Errorf("renders %q (%v), text/template %q (%v)", got, gotErr, want, wantErr)
				}
			})
		}
	}
}

// TestEveryMessageRendersAsTextTemplate renders every plural form of every
// message of every language both ways, with its variables set, empty and
// missing; and checks that messageParser compiles each itself, so that the
// catalog keeps no text/template parse tree (a message using more of
// text/template would still render right, through text/template, but
// heavier: docs/LANGUAGES.md lists what messages may use).
func TestEveryMessageRendersAsTextTemplate(t *testing.T) {
	for tag, msgs := range messagesByLanguage(t) {
		for id, m := range msgs {
			names := vars(m)
			set, empty := map[string]any{}, map[string]any{}
			for v := range names {
				set[v] = Arg(tag, "X "+v)
				empty[v] = ""
			}
			for form, src := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
				if src == "" {
					continue
				}
				for _, data := range []map[string]any{set, empty, {}} {
					got, want, gotErr, wantErr, fast := renderBoth(t, src, data)
					if !fast {
						t.Errorf("%s %s (%s) is rendered through text/template: use only {{.Name}} and {{if .Name}}…{{end}}", tag, id, form)
					}
					if got != want || gotErr != nil || wantErr != nil {
						t.Errorf("%s %s (%s) with %v: %q (%v), text/template %q (%v)", tag, id, form, data, got, gotErr, want, wantErr)
					}
				}
			}
		}
	}
}

// TestLocalizerUsesMessageParser: every render goes through messageParser.
func TestLocalizerUsesMessageParser(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &i18n.LocalizeConfig{MessageID: cat.MessageIDs()[0]}
	if s := cat.Localizer("fr").render(cfg); s == "" {
		t.Fatal("empty message")
	}
	if _, ok := cfg.TemplateParser.(messageParser); !ok {
		t.Fatalf("rendered with %T, want messageParser", cfg.TemplateParser)
	}
}
