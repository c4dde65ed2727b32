#!/usr/bin/perl
# The documentation's examples are run: every ```sql block of README.md and
# docs/*.md, in order, one fresh database per document.  A block followed by an
# ```output block must print exactly that (psql's aligned format); a ```sql block
# whose first line is "-- error" must fail.  Prints TAP.
use strict;
use warnings;
use File::Temp qw(tempfile);

chdir("$0/../..") if $0 =~ m{/};
my @docs = ('README.md', sort glob('docs/*.md'));
my $n = 0;
my $failed = 0;
my @plan;

for my $doc (@docs) {
  open my $fh, '<', $doc or die "$doc: $!";
  my @lines = <$fh>;
  close $fh;
  my (@blocks, $cur, $kind);
  for my $line (@lines) {
    if (!defined $cur && $line =~ /^```(sql|output)\s*$/) { $kind = $1; $cur = ''; next; }
    if (defined $cur && $line =~ /^```\s*$/) { push @blocks, [$kind, $cur]; undef $cur; next; }
    if (defined $cur) { $cur .= $line; next; }
    push @blocks, ['text', $line] if $line =~ /\S/;
  }
  my @tests;
  for my $i (0 .. $#blocks) {
    next unless $blocks[$i][0] eq 'sql';
    my $expect = ($i < $#blocks && $blocks[$i + 1][0] eq 'output') ? $blocks[$i + 1][1] : undef;
    push @tests, [$blocks[$i][1], $expect];
  }
  push @plan, [$doc, \@tests] if @tests;
}

my $total = 0;
$total += scalar @{ $_->[1] } for @plan;
print "1..$total\n";

for my $p (@plan) {
  my ($doc, $tests) = @$p;
  (my $db = "brent_mdm_doc_$doc") =~ s/[^a-z0-9_]/_/gi;
  system("dropdb --if-exists $db 2>/dev/null");
  system('createdb', $db) == 0 or die "createdb $db failed";
  my $k = 0;
  for my $t (@$tests) {
    my ($sql, $expect) = @$t;
    $n++; $k++;
    my $want_error = $sql =~ /^\s*-- error/;
    my ($tfh, $tfile) = tempfile();
    print $tfh "SET client_min_messages = warning;\n$sql";
    close $tfh;
    my $out = `psql -X -q -d $db -v ON_ERROR_STOP=1 -P pager=off -f $tfile 2>&1`;
    my $ok = $want_error ? ($? != 0) : ($? == 0);
    my $why = $ok ? '' : ($want_error ? 'expected an error' : "failed:\n$out");
    if ($ok && defined $expect) {
      $out =~ s/^psql:[^:]*:\d+: //mg;
      $out =~ s/\s+\z//; (my $e = $expect) =~ s/\s+\z//;
      # trailing blanks of psql's aligned rows do not count
      $out =~ s/[ \t]+$//mg; $e =~ s/[ \t]+$//mg;
      if ($out ne $e) { $ok = 0; $why = "output differs.\n--- expected\n$e\n--- got\n$out"; }
    }
    print(($ok ? 'ok' : 'not ok') . " $n - $doc example $k\n");
    unless ($ok) { $failed = 1; print "# $_\n" for split /\n/, $why; }
    unlink $tfile;
  }
}
exit $failed;
