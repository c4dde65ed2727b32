# brent_mdm: PGXS build.
#
# The install script brent_mdm--<version>.sql is assembled from the modules'
# SQL files (src/<module>/<module>.sql) in the order given by MODULES_SQL.

EXTENSION   = brent_mdm
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big  = brent_mdm
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))

# Files of 0.1.0, then files added since (the update script from 0.1.0 is
# src/updates/brent_mdm--0.1.0--$(EXTVERSION).sql followed by the added files).
MODULES_SQL_010 = src/header.sql src/synth/synth.sql src/match/match.sql \
                  src/match/variants.sql sql-build/name_variant_seed.sql src/link/link.sql
MODULES_SQL_NEW = src/link/client_index.sql src/link/train_labelled.sql src/policy/disclosure.sql \
                  src/policy/policy.sql src/rollup/rollup.sql src/geo/geo.sql \
                  src/geo/report.sql src/scorecard/scorecard.sql src/scorecard/family_scorecard.sql src/scorecard/child_view.sql \
                  src/indicator/london.sql sql-build/london_data.sql \
                  src/indicator/trends.sql src/indicator/charts.sql src/indicator/publish.sql src/indicator/catalogue.sql \
                  src/indicator/dashboard.sql
MODULES_SQL = $(MODULES_SQL_010) $(MODULES_SQL_NEW)

DATA_built  = sql-build/$(EXTENSION)--$(EXTVERSION).sql sql-build/$(EXTENSION)--0.1.0--$(EXTVERSION).sql
DATA        = $(wildcard src/releases/*.sql)
EXTRA_CLEAN = sql-build results regression.diffs regression.out

# pg_regress: one file per concept in sql/, picked up by itself.
REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS   = --inputdir=.

ICU_CFLAGS := $(shell pkg-config --cflags icu-i18n icu-uc)
ICU_LIBS   := $(shell pkg-config --libs icu-i18n icu-uc)

PG_CPPFLAGS = -I$(srcdir)/src $(ICU_CFLAGS) -DEXTVERSION=\"$(EXTVERSION)\"
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  = $(ICU_LIBS)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on every header of the project (PGXS tracks no
# header dependencies unless PostgreSQL was built with --enable-depend).
$(OBJS): $(wildcard src/*.h src/*/*.h)

# after PGXS, which sets its own default
CONTRIB_TESTDB = brent_mdm_regression

# The seed of the name variant dictionary, from the CSV files in data/.
sql-build/name_variant_seed.sql: data/nicknames.csv data/name_spellings.csv
	@mkdir -p sql-build
	{ echo "INSERT INTO brent_mdm.name_variant_seed (name, variant, kind, source) VALUES"; \
	  awk -F, '{ sub(/\r$$/, "") } \
	           FNR > 1 && FILENAME ~ /nicknames/ { gsub(/'"'"'/, "'"'"''"'"'"); \
	            printf "%s('"'"'%s'"'"', '"'"'%s'"'"', '"'"'nickname'"'"', '"'"'nicknames.csv'"'"')\n", sep, $$1, $$3; sep = "," } \
	           FNR > 1 && FILENAME ~ /spellings/ { gsub(/'"'"'/, "'"'"''"'"'"); \
	            printf "%s('"'"'%s'"'"', '"'"'%s'"'"', '"'"'%s'"'"', '"'"'name_spellings.csv'"'"')\n", sep, $$1, $$2, $$3; sep = "," }' \
	      data/nicknames.csv data/name_spellings.csv; \
	  echo "ON CONFLICT DO NOTHING;"; } > $@

sql-build/$(EXTENSION)--$(EXTVERSION).sql: $(MODULES_SQL) $(EXTENSION).control
	@mkdir -p sql-build
	cat $(MODULES_SQL) | sed 's/@EXTVERSION@/$(EXTVERSION)/g' > $@

sql-build/$(EXTENSION)--0.1.0--$(EXTVERSION).sql: src/updates/$(EXTENSION)--0.1.0--$(EXTVERSION).sql $(MODULES_SQL_NEW) $(EXTENSION).control
	@mkdir -p sql-build
	cat $< $(MODULES_SQL_NEW) | sed 's/@EXTVERSION@/$(EXTVERSION)/g' > $@

.PHONY: demo test bench
demo:
	./run demo
test:
	./run test

# The London reference data (issue 13), from the CSV files in data/london/.
sql-build/london_data.sql: src/indicator/london_data.pl data/london/london-borough-profiles-2017.csv \
                           data/london/london-borough-profiles-2017-regions.csv \
                           data/london/mps-borough-crime-2008-2018.csv
	@mkdir -p sql-build
	perl src/indicator/london_data.pl data/london/london-borough-profiles-2017.csv \
	     data/london/london-borough-profiles-2017-regions.csv \
	     data/london/mps-borough-crime-2008-2018.csv > $@.tmp && mv $@.tmp $@
