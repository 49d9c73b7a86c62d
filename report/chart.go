package report

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartSpec is a bar chart: one bar per category and series, side by side
// or stacked.
type chartSpec struct {
	title, yLabel string
	categories    []string
	series        []series
	stacked       bool
}

type series struct {
	name   string
	values []float64
}

// render draws the chart as a ChartWidth × ChartHeight PNG. gonum/plot
// embeds its fonts (Liberation), so nothing depends on the machine's.
func (c chartSpec) render(p Period) ([]byte, error) {
	pl := plot.New()
	pl.Title.Text = c.title + "\n" + day(p.From) + " - " + day(p.To)
	pl.Y.Label.Text = c.yLabel
	pl.Y.Min = 0
	cats, ser := c.categories, c.series
	if len(cats) == 0 || len(ser) == 0 {
		// An empty period still gives a readable chart.
		cats = []string{"aucune donnée"}
		ser = []series{{name: "", values: []float64{0}}}
	}
	n := len(ser)
	// Bars of one category share 70 % of the room between two categories.
	slot := vg.Length(ChartWidth) * 0.8 / vg.Length(len(cats))
	width := slot * 0.7
	if !c.stacked {
		width /= vg.Length(n)
	}
	var below *plotter.BarChart
	for i, s := range ser {
		b, err := plotter.NewBarChart(plotter.Values(s.values), width)
		if err != nil {
			return nil, fmt.Errorf("report: chart: %w", err)
		}
		b.Color = plotutil.Color(i)
		b.LineStyle.Width = 0
		if c.stacked {
			if below != nil {
				b.StackOn(below)
			}
			below = b
		} else {
			b.Offset = (vg.Length(i) - vg.Length(n-1)/2) * width
		}
		pl.Add(b)
		if s.name != "" {
			pl.Legend.Add(s.name, b)
		}
	}
	pl.Legend.Top = true
	pl.Add(plotter.NewGrid())
	pl.NominalX(cats...)

	canvas := vgimg.NewWith(vgimg.UseWH(vg.Length(ChartWidth), vg.Length(ChartHeight)), vgimg.UseDPI(72))
	pl.Draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: chart: %w", err)
	}
	return buf.Bytes(), nil
}
