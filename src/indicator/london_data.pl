#!/usr/bin/perl
# Builds the INSERTs of the London reference data (src/indicator/london.sql's
# tables) from the CSV files in data/london/, copies of the London Datastore's
# files (see data/london/SOURCES.md).  Perl core only.
#
#   perl src/indicator/london_data.pl data/london/london-borough-profiles-2017.csv \
#        data/london/london-borough-profiles-2017-regions.csv \
#        data/london/mps-borough-crime-2008-2018.csv > sql-build/london_data.sql
#
# The second file holds the rows of the same edition for Inner London, Outer
# London, London, England and the United Kingdom (blank in the first), under
# the same header (checked); there a number may be written after a pound sign
# (byte 0xA3 in LATIN1, then "39,110 "): the income column.
# Profiles: one row per authority and figure; a figure that is missing in the
# file (NaN, '-', '.', empty) gets no row (never 0).  Numbers lose their
# thousands separators ("22,162" is 22162).  A column whose every present value
# is a number is a 'number' measure (value), any other a 'text' one (value_text).
# Crime: the wide file's rows are shipped as arrays of 108 monthly counts and
# unnested at install (one row per borough, minor category and month).
use strict;
use warnings;
use Text::ParseWords qw(parse_line);

my ($profiles, $regions, $crime) = @ARGV;
die "usage: $0 profiles.csv regions.csv crime.csv\n" unless defined $crime;

# SQL literal.  A string with non-ASCII characters (the CSV is LATIN1: the pound
# sign is 0xA3) is written as its UTF-8 bytes converted when the statement runs,
# so the script is ASCII: a U&'' escape would be converted when the whole
# script is parsed, before its header refuses a database it cannot serve
# (SQL_ASCII: "conversion between UTF8 and SQL_ASCII is not supported").
sub lit {
  my ($s) = @_;
  return 'NULL' unless defined $s;
  if ($s =~ /[^\x00-\x7f]/) {
    utf8::encode($s);
    return sprintf "pg_catalog.convert_from(pg_catalog.decode('%s', 'hex'), 'UTF8')", unpack('H*', $s);
  }
  $s =~ s/'/''/g;
  return "'$s'";
}

sub missing { my ($v) = @_; return !defined $v || $v =~ /^\s*(NaN|-|\.|)\s*$/; }
sub number {
  my ($v) = @_;
  (my $n = $v) =~ s/^\s+|\s+$//g;
  $n =~ s/^\x{a3}//;                                       # a pound sign before the number
  return undef unless $n =~ /^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/;
  $n =~ s/,//g;
  return $n;
}

sub rows {
  my ($file, $latin1) = @_;
  open my $fh, '<:raw', $file or die "$file: $!";
  my @rows;
  while (my $line = <$fh>) {
    $line =~ s/\r?\n$//;
    $line = join '', map { chr } unpack 'C*', $line if $latin1;   # LATIN1 bytes are code points
    die "$file line $.: not ASCII\n" if !$latin1 && $line =~ /[^\x00-\x7f]/;
    my @f = parse_line(',', 0, $line);
    die "$file line $.: unbalanced quotes\n" if $line ne '' && !@f;
    push @rows, \@f;
  }
  return @rows;
}

# ---- profiles
my @p = rows($profiles, 1);
my $head = shift @p;
die "profiles: expected 84 columns, got " . @$head . "\n" unless @$head == 84;
@p = grep { defined $_->[0] && $_->[0] ne '' } @p;        # the file ends with empty rows
for (@p) { die "profiles: bad code $_->[0]\n" unless $_->[0] =~ /^E09\d{6}$/ && @$_ == 84; }
my %kind_of = (E13 => 'sub_region', E12 => 'region', E92 => 'country', K02 => 'country');
my @r = rows($regions, 1);
my $rhead = shift @r;
die "regions: its header is not the profiles'\n" unless join("\x00", @$rhead) eq join("\x00", @$head);
@r = grep { defined $_->[0] && $_->[0] ne '' } @r;
for (@r) {
  die "regions: bad code $_->[0]\n" unless $_->[0] =~ /^(E1[23]|E92|K02)\d{6}$/ && @$_ == 84;
  die "regions: $_->[0] is not a region or country (column 3: '$_->[2]')\n" unless $_->[2] eq '';
}
my @london = grep { $_->[0] eq 'E12000007' } @r;
die "regions: no row for London (E12000007)\n" unless @london == 1;
my @all = (@p, @r);

my (%slug_seen, @measures);
for my $i (2 .. $#$head) {
  my $label = $head->[$i];
  (my $slug = lc $label) =~ s/\x{a3}/gbp/g;
  $slug =~ s/%/pct/g;
  $slug =~ s/\+/plus/g;
  $slug =~ s/[^a-z0-9]+/_/g;
  $slug =~ s/^_+|_+$//g;
  die "profiles: two columns give measure $slug\n" if $slug_seen{$slug}++;
  my $year;
  (my $y = $label) =~ s/_\(out_of_10\)$//;
  if ($y =~ /(\d{4}\/\d{2}_to_\d{4}\/\d{2}|\d{4}-\d{2}|\d{4}\/\d{2}|(?:Dec|May)-\d{2,4}|\d{4})\D*$/) { $year = $1; $year =~ s/_/ /g; }
  my $unit;
  if    ($label =~ /\x{a3}/)                     { $unit = 'GBP'; }
  elsif ($label =~ /%/)                           { $unit = 'percent'; }
  elsif ($label =~ /per_hectare/)                 { $unit = 'per hectare'; }
  elsif ($label =~ /\(Hectares\)/)                { $unit = 'hectares'; }
  elsif ($label =~ /per_thousand_population/)     { $unit = 'per 1,000 population'; }
  elsif ($label =~ /per_hundred_population/)      { $unit = 'per 100 population'; }
  elsif ($label =~ /\(out_of_10\)/)               { $unit = 'score out of 10'; }
  my $type = 'number';
  for my $r (@all) {
    my $v = $r->[$i];
    next if missing($v);
    if (!defined number($v)) { $type = 'text'; last; }
  }
  push @measures, [$slug, $label, $year, $unit, $type, $i];
}

print "-- generated by src/indicator/london_data.pl from data/london/ (do not edit)\n";
print "INSERT INTO brent_mdm.london_area (area_code, area_name, kind) VALUES\n";
print join(",\n", map { sprintf "(%s, %s, %s)", lit($_->[0]), lit($_->[1]),
                          lit($_->[0] eq 'E09000001' ? 'city' : $kind_of{substr $_->[0], 0, 3} // 'london_borough') } @all), ";\n";

print "INSERT INTO brent_mdm.london_profile_measure (measure, label, reference_year, unit, value_type, position) VALUES\n";
print join(",\n", map { sprintf "(%s, %s, %s, %s, %s, %d)", lit($_->[0]), lit($_->[1]), lit($_->[2]),
                          lit($_->[3]), lit($_->[4]), $_->[5] - 1 } @measures), ";\n";

my @vals;
for my $r (@all) {
  for my $m (@measures) {
    my $v = $r->[$m->[5]];
    next if missing($v);
    $v =~ s/^\s+|\s+$//g;
    push @vals, $m->[4] eq 'number'
      ? sprintf("(%s, %s, %s, NULL)", lit($r->[0]), lit($m->[0]), number($v))
      : sprintf("(%s, %s, NULL, %s)", lit($r->[0]), lit($m->[0]), lit($v));
  }
}
print "INSERT INTO brent_mdm.london_profile (area_code, measure, value, value_text) VALUES\n",
      join(",\n", @vals), ";\n";

# ---- crime
my %code = map { ($_->[1] => $_->[0]) } @p;
my @c = rows($crime, 0);
my $ch = shift @c;
my @months = @$ch[3 .. $#$ch];
die "crime: expected 108 months, got " . @months . "\n" unless @months == 108;
for my $k (0 .. $#months) {
  my $want = sprintf '%04d%02d', 2008 + int($k / 12), 1 + $k % 12;
  die "crime: column $months[$k] where $want was expected\n" unless $months[$k] eq $want;
}
@c = grep { @$_ && $_->[0] ne '' } @c;
print "INSERT INTO brent_mdm.london_crime (borough, area_code, major_category, minor_category, month, offences)\n",
      "SELECT w.borough, w.area_code, w.major_category, w.minor_category,\n",
      "       (DATE '2008-01-01' + (m.k - 1) * INTERVAL '1 month')::date, m.offences\n",
      "  FROM (VALUES\n";
my @w;
for my $r (@c) {
  die "crime: row of " . @$r . " fields\n" unless @$r == 111;
  my $a = $code{$r->[0]} // die "crime: borough $r->[0] is not in the profiles\n";
  for (@$r[3 .. 110]) { die "crime: count '$_' for $r->[0] is not a whole number\n" unless /^\d+$/; }
  push @w, sprintf "(%s, %s, %s, %s, '{%s}'::integer[])", lit($r->[0]), lit($a), lit($r->[1]), lit($r->[2]),
                   join(',', @$r[3 .. 110]);
}
print join(",\n", @w), "\n";
print "  ) AS w (borough, area_code, major_category, minor_category, counts)\n",
      "  CROSS JOIN LATERAL unnest(w.counts) WITH ORDINALITY AS m (offences, k);\n";
