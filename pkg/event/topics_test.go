package event

import (
	"strings"
	"testing"
)

// kafkaSame is how Kafka compares topic names for collisions: '.' and '_'
// are the same character.
func kafkaSame(a, b string) bool {
	return strings.ReplaceAll(a, "_", ".") == strings.ReplaceAll(b, "_", ".")
}

type topicTuple struct{ pipeline, source, db, table string }

func (c topicTuple) topic() string {
	return Topics{Pipeline: c.pipeline, Source: c.source}.Table(c.db, c.table)
}

// TestTableTopicNames: clean names stay readable, the others are
// sanitized and hashed, and every name is legal.
func TestTableTopicNames(t *testing.T) {
	for _, c := range []struct {
		in   topicTuple
		want string // the name, or its part before the hash when it ends in '_' + 12 hex digits
	}{
		{topicTuple{"shop", "src", "shop", "orders"}, "shop.src.shop.orders"},
		{topicTuple{"shop", "src", "Shop", "Orders-2"}, "shop.src.Shop.Orders-2"},
		{topicTuple{"shop", "src", "shop", "order_items"}, "shop.src.shop.order_items_"},
		{topicTuple{"shop", "src", "shop_order", "items"}, "shop.src.shop_order.items_"},
		{topicTuple{"shop", "src", "x", "y.z"}, "shop.src.x.y_z_"},
		{topicTuple{"my_shop", "src", "shop", "orders"}, "my_shop.src.shop.orders_"},
		{topicTuple{"shop", "src", "shop", "odd`t'b\"ü"}, "shop.src.shop.odd_t_b____"},
	} {
		got := c.in.topic()
		if err := LegalTopic(got); err != nil {
			t.Errorf("%v: %v", c.in, err)
		}
		if strings.HasSuffix(c.want, "_") {
			if len(got) != len(c.want)+topicHashLen || !strings.HasPrefix(got, c.want) {
				t.Errorf("%v: %q, want %q and %d hex digits", c.in, got, c.want, topicHashLen)
			}
		} else if got != c.want {
			t.Errorf("%v: %q, want %q", c.in, got, c.want)
		}
	}
	long := topicTuple{"shop", "src", "shop", strings.Repeat("ü", 64)}.topic()
	if len(long) > maxTopicLen || !strings.HasPrefix(long, "shop.src.shop.___") {
		t.Errorf("64 × ü: %q (%d bytes)", long, len(long))
	}
	huge := topicTuple{strings.Repeat("p", 64), strings.Repeat("s", 64), strings.Repeat("d", 64), strings.Repeat("t", 200)}.topic()
	if len(huge) != maxTopicLen || strings.Count(huge, ".") != 3 {
		t.Errorf("long parts: %q (%d bytes), want %d bytes and the three dots", huge, len(huge), maxTopicLen)
	}
}

// TestTableTopicInjective: adversarial pairs of tables get names Kafka
// keeps apart ('.' and '_' the same, case kept).
func TestTableTopicInjective(t *testing.T) {
	long := strings.Repeat("t", 240)
	shortened := Topics{Pipeline: "p", Source: "s"}.Table("db", long+"uuuuuuuuuu")
	tuples := []topicTuple{
		{"shop", "src", "shop", "order_items"}, {"shop", "src", "shop_order", "items"},
		{"shop", "src", "shop", "order.items"}, {"shop", "src", "shop.order", "items"},
		{"shop", "src", "shop", "order-items"}, {"shop", "src", "shop", "orderitems"},
		{"p", "s", "x.y", "z"}, {"p", "s", "x", "y.z"}, {"p", "s", "x", "y_z"}, {"p", "s", "x_y", "z"},
		{"p", "s", "db", "T"}, {"p", "s", "db", "t"}, {"p", "s", "DB", "t"},
		{"p", "s", "db", strings.Repeat("ü", 64)}, {"p", "s", "db", strings.Repeat("ö", 64)},
		{"p", "s", "db", strings.Repeat("ü", 63)}, {"p", "s", "db", strings.Repeat("_", 128)},
		{"p", "s", "db", long}, {"p", "s", "db", long + "u"}, {"p", "s", "db", long[:230]},
		{"p", "s", "db", long[:230] + "_3c2f"},
		// tables named like a shortened name's table part
		{"p", "s", "db", long + "uuuuuuuuuu"}, {"p", "s", "db", shortened[len("p.s.db."):]},
		{"p", "s", "db", strings.ReplaceAll(shortened[len("p.s.db."):], "_", "-")},
		{"p", "s", "db", shortened[len("p.s.db.") : len(shortened)-1-topicHashLen]},
		{"a_b", "c", "d", "e"}, {"a", "b_c", "d", "e"}, {"a", "b", "c_d", "e"}, {"a", "b", "c", "d_e"},
		{"a", "b", "c", "d.e"}, {"a.b", "c", "d", "e"},
		{"shop", "src-1", "shop", "orders"}, {"shop", "src-2", "shop", "orders"}, {"shop2", "src-1", "shop", "orders"},
	}
	names := map[string]topicTuple{}
	for _, c := range tuples {
		n := c.topic()
		if err := LegalTopic(n); err != nil {
			t.Errorf("%v: %v", c, err)
		}
		key := strings.ReplaceAll(n, "_", ".")
		if o, dup := names[key]; dup {
			t.Errorf("%v and %v: %q and %q are the same topic to Kafka", o, c, o.topic(), n)
		}
		names[key] = c
	}
}

// FuzzTopicName: two different tuples never give names Kafka takes for the
// same topic, and every name is legal.
func FuzzTopicName(f *testing.F) {
	f.Add("shop", "src", "shop", "order_items", "shop", "src", "shop_order", "items")
	f.Add("p", "s", "x.y", "z", "p", "s", "x", "y.z")
	f.Add("p", "s", "db", strings.Repeat("ü", 64), "p", "s", "db", strings.Repeat("ö", 64))
	f.Add("p", "s", "db", strings.Repeat("t", 300), "p", "s", "db", strings.Repeat("t", 299))
	f.Add("a_b", "c", "d", "e", "a", "b_c", "d", "e")
	f.Add("p", "s", "db", "T", "p", "s", "db", "t")
	f.Fuzz(func(t *testing.T, p1, s1, d1, t1, p2, s2, d2, t2 string) {
		a, b := topicTuple{p1, s1, d1, t1}, topicTuple{p2, s2, d2, t2}
		na, nb := a.topic(), b.topic()
		for _, n := range []string{na, nb} {
			if err := LegalTopic(n); err != nil {
				t.Fatalf("%v / %v: %v", a, b, err)
			}
		}
		if a != b && kafkaSame(na, nb) {
			t.Fatalf("%v and %v: %q and %q are the same topic to Kafka", a, b, na, nb)
		}
	})
}

// TestCheckTable: only a '.' in a database name is refused; long or odd
// names get a topic of their own.
func TestCheckTable(t *testing.T) {
	tp := Topics{Pipeline: "p", Source: "src"}
	for _, c := range []struct {
		db, table, want string
	}{
		{"shop", "orders", ""},
		{"x", "y.z", ""},
		{"x.y", "z", "'.' in a database name"},
		{"shop", strings.Repeat("ü", 64), ""},
		{"shop", strings.Repeat("t", 245), ""},
	} {
		err := tp.CheckTable(c.db, c.table)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s.%s: %v, want none", c.db, c.table, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s.%s: %v, want an error with %q", c.db, c.table, err, c.want)
		}
	}
}
