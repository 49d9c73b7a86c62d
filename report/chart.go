package report

import (
	"bytes"
	"fmt"
	"strings"

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
	// The x axis runs from half a category before the first to half after
	// the last; the bars of a category share 70 % of its room.
	pl.X.Min, pl.X.Max = -0.5, float64(len(cats))-0.5
	slot := vg.Length(ChartWidth-120) / vg.Length(len(cats))
	width := slot * 0.7
	if !c.stacked {
		width /= vg.Length(n)
	}
	// Room above the highest bar for the legend.
	pl.Y.Max = max(top(ser, c.stacked), 1) * 1.3
	pl.Add(plotter.NewGrid())
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
	pl.Legend.TextStyle.Font.Size = 14
	pl.Title.TextStyle.Font.Size = 18
	for _, a := range []*plot.Axis{&pl.X, &pl.Y} {
		a.Label.TextStyle.Font.Size = 14
		a.Tick.Label.Font.Size = 13
	}
	pl.NominalX(cats...)
	pl.Y.Tick.Marker = commaTicks{}

	canvas := vgimg.NewWith(vgimg.UseWH(vg.Length(ChartWidth), vg.Length(ChartHeight)), vgimg.UseDPI(72))
	pl.Draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: chart: %w", err)
	}
	return buf.Bytes(), nil
}

// top is the height of the highest bar.
func top(ser []series, stacked bool) float64 {
	var m float64
	for i := range ser[0].values {
		var sum float64
		for _, s := range ser {
			if stacked {
				sum += s.values[i]
			} else {
				sum = max(sum, s.values[i])
			}
		}
		m = max(m, sum)
	}
	return m
}

// commaTicks writes the y axis' numbers with a decimal comma, as the CSV.
type commaTicks struct{}

func (commaTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		ticks[i].Label = strings.ReplaceAll(ticks[i].Label, ".", ",")
	}
	return ticks
}
