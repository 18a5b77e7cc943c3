/* Unit tests for reading a running ruleset (proxy/fw_check.c): real
 * `nft -j list ruleset` outputs, captured from nft 1.0.6 after loading the
 * rulesets quoted, and rows of connections with the answer for each. */
#include "proxy/fw_check.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* nft -j list ruleset (nft 1.0.6) after loading `ftpsgw --firewall nft` of
 * the lab's configuration (tests/integration/lab.py). */
static const char lab_json[] =
    "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\",\"release_name\""
    ":\"Lester Gooch #5\",\"json_schema_version\":1}},{\"table\":{\"famil"
    "y\":\"inet\",\"name\":\"ftpsgw\",\"handle\":8}},{\"ct helper\":{\"fa"
    "mily\":\"inet\",\"name\":\"ftp-std\",\"table\":\"ftpsgw\",\"handle\""
    ":6,\"type\":\"ftp\",\"protocol\":\"tcp\",\"l3proto\":\"inet\"}},{\"c"
    "hain\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"name\":\"pre\",\""
    "handle\":1,\"type\":\"filter\",\"hook\":\"prerouting\",\"prio\":0,\""
    "policy\":\"accept\"}},{\"chain\":{\"family\":\"inet\",\"table\":\"ft"
    "psgw\",\"name\":\"out\",\"handle\":2,\"type\":\"filter\",\"hook\":\""
    "output\",\"prio\":0,\"policy\":\"accept\"}},{\"chain\":{\"family\":\""
    "inet\",\"table\":\"ftpsgw\",\"name\":\"input\",\"handle\":3,\"type\""
    ":\"filter\",\"hook\":\"input\",\"prio\":0,\"policy\":\"drop\"}},{\"c"
    "hain\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"name\":\"forward\""
    ",\"handle\":4,\"type\":\"filter\",\"hook\":\"forward\",\"prio\":0,\""
    "policy\":\"drop\"}},{\"chain\":{\"family\":\"inet\",\"table\":\"ftps"
    "gw\",\"name\":\"postnat\",\"handle\":5,\"type\":\"nat\",\"hook\":\"p"
    "ostrouting\",\"prio\":100,\"policy\":\"accept\"}},{\"rule\":{\"famil"
    "y\":\"inet\",\"table\":\"ftpsgw\",\"chain\":\"pre\",\"handle\":8,\"e"
    "xpr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\""
    ":\"ip\",\"field\":\"daddr\"}},\"right\":\"203.0.113.1\"}},{\"match\""
    ":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\""
    ":\"dport\"}},\"right\":{\"set\":[21,990]}}},{\"ct helper\":\"ftp-std"
    "\"}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"chain\""
    ":\"pre\",\"handle\":10,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":"
    "{\"payload\":{\"protocol\":\"ip6\",\"field\":\"daddr\"}},\"right\":\""
    "2001:db8:1::1\"}},{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\""
    "protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":{\"set\":[21,990]"
    "}}},{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"family\":\"inet\",\""
    "table\":\"ftpsgw\",\"chain\":\"out\",\"handle\":11,\"expr\":[{\"matc"
    "h\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"fie"
    "ld\":\"dport\"}},\"right\":21}},{\"ct helper\":\"ftp-std\"}]}},{\"ru"
    "le\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"chain\":\"input\",\""
    "handle\":12,\"expr\":[{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\""
    "key\":\"state\"}},\"right\":[\"established\",\"related\"]}},{\"accep"
    "t\":null}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"c"
    "hain\":\"input\",\"handle\":13,\"expr\":[{\"match\":{\"op\":\"==\",\""
    "left\":{\"meta\":{\"key\":\"iif\"}},\"right\":\"lo\"}},{\"accept\":n"
    "ull}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"chain\""
    ":\"input\",\"handle\":15,\"expr\":[{\"match\":{\"op\":\"==\",\"left\""
    ":{\"payload\":{\"protocol\":\"ip\",\"field\":\"daddr\"}},\"right\":\""
    "203.0.113.1\"}},{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"p"
    "rotocol\":\"tcp\",\"field\":\"dport\"}},\"right\":{\"set\":[21,990]}"
    "}},{\"accept\":null}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"f"
    "tpsgw\",\"chain\":\"input\",\"handle\":17,\"expr\":[{\"match\":{\"op"
    "\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip6\",\"field\":\"da"
    "ddr\"}},\"right\":\"2001:db8:1::1\"}},{\"match\":{\"op\":\"==\",\"le"
    "ft\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"righ"
    "t\":{\"set\":[21,990]}}},{\"accept\":null}]}},{\"rule\":{\"family\":"
    "\"inet\",\"table\":\"ftpsgw\",\"chain\":\"input\",\"handle\":19,\"ex"
    "pr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":"
    "\"icmpv6\",\"field\":\"type\"}},\"right\":{\"set\":[\"nd-router-adve"
    "rt\",\"nd-neighbor-solicit\",\"nd-neighbor-advert\"]}}},{\"accept\":"
    "null}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"chain"
    "\":\"forward\",\"handle\":20,\"expr\":[{\"match\":{\"op\":\"in\",\"l"
    "eft\":{\"ct\":{\"key\":\"state\"}},\"right\":[\"established\",\"rela"
    "ted\"]}},{\"accept\":null}]}}]}";

/* The same after `nft delete chain inet ftpsgw pre`. */
static const char no_pre_json[] =
    "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\",\"release_name\""
    ":\"Lester Gooch #5\",\"json_schema_version\":1}},{\"table\":{\"famil"
    "y\":\"inet\",\"name\":\"ftpsgw\",\"handle\":8}},{\"ct helper\":{\"fa"
    "mily\":\"inet\",\"name\":\"ftp-std\",\"table\":\"ftpsgw\",\"handle\""
    ":6,\"type\":\"ftp\",\"protocol\":\"tcp\",\"l3proto\":\"inet\"}},{\"c"
    "hain\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"name\":\"out\",\""
    "handle\":2,\"type\":\"filter\",\"hook\":\"output\",\"prio\":0,\"poli"
    "cy\":\"accept\"}},{\"chain\":{\"family\":\"inet\",\"table\":\"ftpsgw"
    "\",\"name\":\"input\",\"handle\":3,\"type\":\"filter\",\"hook\":\"in"
    "put\",\"prio\":0,\"policy\":\"drop\"}},{\"chain\":{\"family\":\"inet"
    "\",\"table\":\"ftpsgw\",\"name\":\"forward\",\"handle\":4,\"type\":\""
    "filter\",\"hook\":\"forward\",\"prio\":0,\"policy\":\"drop\"}},{\"ch"
    "ain\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"name\":\"postnat\""
    ",\"handle\":5,\"type\":\"nat\",\"hook\":\"postrouting\",\"prio\":100"
    ",\"policy\":\"accept\"}},{\"rule\":{\"family\":\"inet\",\"table\":\""
    "ftpsgw\",\"chain\":\"out\",\"handle\":11,\"expr\":[{\"match\":{\"op\""
    ":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dpor"
    "t\"}},\"right\":21}},{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"fam"
    "ily\":\"inet\",\"table\":\"ftpsgw\",\"chain\":\"input\",\"handle\":1"
    "2,\"expr\":[{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"st"
    "ate\"}},\"right\":[\"established\",\"related\"]}},{\"accept\":null}]"
    "}},{\"rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"chain\":\"i"
    "nput\",\"handle\":13,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\""
    "meta\":{\"key\":\"iif\"}},\"right\":\"lo\"}},{\"accept\":null}]}},{\""
    "rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"chain\":\"input\""
    ",\"handle\":15,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"paylo"
    "ad\":{\"protocol\":\"ip\",\"field\":\"daddr\"}},\"right\":\"203.0.11"
    "3.1\"}},{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\""
    ":\"tcp\",\"field\":\"dport\"}},\"right\":{\"set\":[21,990]}}},{\"acc"
    "ept\":null}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\""
    "chain\":\"input\",\"handle\":17,\"expr\":[{\"match\":{\"op\":\"==\","
    "\"left\":{\"payload\":{\"protocol\":\"ip6\",\"field\":\"daddr\"}},\""
    "right\":\"2001:db8:1::1\"}},{\"match\":{\"op\":\"==\",\"left\":{\"pa"
    "yload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":{\"set"
    "\":[21,990]}}},{\"accept\":null}]}},{\"rule\":{\"family\":\"inet\",\""
    "table\":\"ftpsgw\",\"chain\":\"input\",\"handle\":19,\"expr\":[{\"ma"
    "tch\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"icmpv6\","
    "\"field\":\"type\"}},\"right\":{\"set\":[\"nd-router-advert\",\"nd-n"
    "eighbor-solicit\",\"nd-neighbor-advert\"]}}},{\"accept\":null}]}},{\""
    "rule\":{\"family\":\"inet\",\"table\":\"ftpsgw\",\"chain\":\"forward"
    "\",\"handle\":20,\"expr\":[{\"match\":{\"op\":\"in\",\"left\":{\"ct\""
    ":{\"key\":\"state\"}},\"right\":[\"established\",\"related\"]}},{\"a"
    "ccept\":null}]}}]}";

/* nft -j list ruleset of:
 * table inet t {
 *   ct helper ftp-std { type "ftp" protocol tcp; }
 *   ct helper ftp4 { type "ftp" protocol tcp; l3proto ip; }
 *   ct helper sip { type "sip" protocol udp; }
 *   set lp { type ipv4_addr . inet_service; elements = { 203.0.113.7 . 2121 } }
 *   set ports { type inet_service; flags interval; elements = { 4000, 4100-4200 } }
 *   set empty { type inet_service; }
 *   chain raw { type filter hook prerouting priority raw; tcp dport 5000 ct helper set "ftp-std"; }
 *   chain pre { type filter hook prerouting priority filter;
 *     tcp dport 6000 accept;
 *     tcp dport 6000 ct helper set "ftp-std";
 *     udp dport 21 ct helper set "ftp-std";
 *     ip daddr != 203.0.113.1 tcp dport 7000 ct helper set "ftp-std";
 *     ip daddr 203.0.113.0/24 tcp dport 7100 ct helper set "ftp-std";
 *     ip6 daddr 2001:db8:1::/48 tcp dport 7100 ct helper set "ftp-std";
 *     ip daddr . tcp dport @lp ct helper set "ftp-std";
 *     tcp dport @ports ct helper set "ftp-std";
 *     tcp dport @empty ct helper set "ftp-std";
 *     tcp dport 7200 ct helper set "sip";
 *     tcp dport 7300 ct helper set "ftp4";
 *     iifname "wan0" tcp dport 7400 ct helper set "ftp-std";
 *     tcp dport 7500-7600 jump sub;
 *     tcp dport 7700 goto sub2;
 *     tcp dport 7700 ct helper set "ftp-std";
 *     tcp dport vmap { 7800 : jump sub3 };
 *     meta nfproto ipv6 tcp dport 7900 ct helper set "ftp-std";
 *     meta l4proto udp th dport 8000 ct helper set "ftp-std";
 *     th dport 8100 ct helper set "ftp-std";
 *     tcp dport < 1024 ct helper set "ftp-std";
 *   }
 *   chain sub { tcp dport 7550 return; ct helper set "ftp-std"; }
 *   chain sub2 { tcp dport 9999 ct helper set "ftp-std"; }
 *   chain sub3 { ct helper set "ftp-std"; }
 *   chain out { type filter hook output priority filter; ip daddr 198.51.100.10 tcp dport 2121 ct helper set "ftp-std"; }
 * }
 * table ip n {
 *  chain p { type nat hook postrouting priority srcnat; }
 * }
 */
static const char tricky_json[] =
    "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\",\"release_name\""
    ":\"Lester Gooch #5\",\"json_schema_version\":1}},{\"table\":{\"famil"
    "y\":\"inet\",\"name\":\"t\",\"handle\":10}},{\"ct helper\":{\"family"
    "\":\"inet\",\"name\":\"ftp-std\",\"table\":\"t\",\"handle\":7,\"type"
    "\":\"ftp\",\"protocol\":\"tcp\",\"l3proto\":\"inet\"}},{\"ct helper\""
    ":{\"family\":\"inet\",\"name\":\"ftp4\",\"table\":\"t\",\"handle\":8"
    ",\"type\":\"ftp\",\"protocol\":\"tcp\",\"l3proto\":\"ip\"}},{\"ct he"
    "lper\":{\"family\":\"inet\",\"name\":\"sip\",\"table\":\"t\",\"handl"
    "e\":9,\"type\":\"sip\",\"protocol\":\"udp\",\"l3proto\":\"inet\"}},{"
    "\"set\":{\"family\":\"inet\",\"name\":\"lp\",\"table\":\"t\",\"type\""
    ":[\"ipv4_addr\",\"inet_service\"],\"handle\":10,\"elem\":[{\"concat\""
    ":[\"203.0.113.7\",2121]}]}},{\"set\":{\"family\":\"inet\",\"name\":\""
    "ports\",\"table\":\"t\",\"type\":\"inet_service\",\"handle\":11,\"fl"
    "ags\":[\"interval\"],\"elem\":[4000,{\"range\":[4100,4200]}]}},{\"se"
    "t\":{\"family\":\"inet\",\"name\":\"empty\",\"table\":\"t\",\"type\""
    ":\"inet_service\",\"handle\":12}},{\"chain\":{\"family\":\"inet\",\""
    "table\":\"t\",\"name\":\"raw\",\"handle\":1,\"type\":\"filter\",\"ho"
    "ok\":\"prerouting\",\"prio\":-300,\"policy\":\"accept\"}},{\"chain\""
    ":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"pre\",\"handle\":2,"
    "\"type\":\"filter\",\"hook\":\"prerouting\",\"prio\":0,\"policy\":\""
    "accept\"}},{\"chain\":{\"family\":\"inet\",\"table\":\"t\",\"name\":"
    "\"sub\",\"handle\":3}},{\"chain\":{\"family\":\"inet\",\"table\":\"t"
    "\",\"name\":\"sub2\",\"handle\":4}},{\"chain\":{\"family\":\"inet\","
    "\"table\":\"t\",\"name\":\"sub3\",\"handle\":5}},{\"chain\":{\"famil"
    "y\":\"inet\",\"table\":\"t\",\"name\":\"out\",\"handle\":6,\"type\":"
    "\"filter\",\"hook\":\"output\",\"prio\":0,\"policy\":\"accept\"}},{\""
    "rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"raw\",\"hand"
    "le\":13,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\""
    "protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":5000}},{\"ct help"
    "er\":\"ftp-std\"}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\","
    "\"chain\":\"pre\",\"handle\":14,\"expr\":[{\"match\":{\"op\":\"==\","
    "\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\""
    "right\":6000}},{\"accept\":null}]}},{\"rule\":{\"family\":\"inet\",\""
    "table\":\"t\",\"chain\":\"pre\",\"handle\":15,\"expr\":[{\"match\":{"
    "\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":"
    "\"dport\"}},\"right\":6000}},{\"ct helper\":\"ftp-std\"}]}},{\"rule\""
    ":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"pre\",\"handle\":1"
    "6,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"proto"
    "col\":\"udp\",\"field\":\"dport\"}},\"right\":21}},{\"ct helper\":\""
    "ftp-std\"}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain"
    "\":\"pre\",\"handle\":17,\"expr\":[{\"match\":{\"op\":\"!=\",\"left\""
    ":{\"payload\":{\"protocol\":\"ip\",\"field\":\"daddr\"}},\"right\":\""
    "203.0.113.1\"}},{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"p"
    "rotocol\":\"tcp\",\"field\":\"dport\"}},\"right\":7000}},{\"ct helpe"
    "r\":\"ftp-std\"}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\""
    "chain\":\"pre\",\"handle\":18,\"expr\":[{\"match\":{\"op\":\"==\",\""
    "left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"daddr\"}},\"rig"
    "ht\":{\"prefix\":{\"addr\":\"203.0.113.0\",\"len\":24}}}},{\"match\""
    ":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\""
    ":\"dport\"}},\"right\":7100}},{\"ct helper\":\"ftp-std\"}]}},{\"rule"
    "\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"pre\",\"handle\""
    ":19,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"pro"
    "tocol\":\"ip6\",\"field\":\"daddr\"}},\"right\":{\"prefix\":{\"addr\""
    ":\"2001:db8:1::\",\"len\":48}}}},{\"match\":{\"op\":\"==\",\"left\":"
    "{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":7"
    "100}},{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"family\":\"inet\","
    "\"table\":\"t\",\"chain\":\"pre\",\"handle\":20,\"expr\":[{\"match\""
    ":{\"op\":\"==\",\"left\":{\"concat\":[{\"payload\":{\"protocol\":\"i"
    "p\",\"field\":\"daddr\"}},{\"payload\":{\"protocol\":\"tcp\",\"field"
    "\":\"dport\"}}]},\"right\":\"@lp\"}},{\"ct helper\":\"ftp-std\"}]}},"
    "{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"pre\",\"h"
    "andle\":21,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\""
    ":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":\"@ports\"}},"
    "{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"family\":\"inet\",\"tabl"
    "e\":\"t\",\"chain\":\"pre\",\"handle\":22,\"expr\":[{\"match\":{\"op"
    "\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dp"
    "ort\"}},\"right\":\"@empty\"}},{\"ct helper\":\"ftp-std\"}]}},{\"rul"
    "e\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"pre\",\"handle\""
    ":23,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"pro"
    "tocol\":\"tcp\",\"field\":\"dport\"}},\"right\":7200}},{\"ct helper\""
    ":\"sip\"}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\""
    ":\"pre\",\"handle\":24,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":"
    "{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":7"
    "300}},{\"ct helper\":\"ftp4\"}]}},{\"rule\":{\"family\":\"inet\",\"t"
    "able\":\"t\",\"chain\":\"pre\",\"handle\":25,\"expr\":[{\"match\":{\""
    "op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"wa"
    "n0\"}},{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\""
    ":\"tcp\",\"field\":\"dport\"}},\"right\":7400}},{\"ct helper\":\"ftp"
    "-std\"}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":"
    "\"pre\",\"handle\":26,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{"
    "\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":{\""
    "range\":[7500,7600]}}},{\"jump\":{\"target\":\"sub\"}}]}},{\"rule\":"
    "{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"pre\",\"handle\":27"
    ",\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protoc"
    "ol\":\"tcp\",\"field\":\"dport\"}},\"right\":7700}},{\"goto\":{\"tar"
    "get\":\"sub2\"}}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\""
    "chain\":\"pre\",\"handle\":28,\"expr\":[{\"match\":{\"op\":\"==\",\""
    "left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"ri"
    "ght\":7700}},{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"family\":\""
    "inet\",\"table\":\"t\",\"chain\":\"pre\",\"handle\":30,\"expr\":[{\""
    "vmap\":{\"key\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport"
    "\"}},\"data\":{\"set\":[[7800,{\"jump\":{\"target\":\"sub3\"}}]]}}}]"
    "}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"pre\","
    "\"handle\":31,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"meta\""
    ":{\"key\":\"nfproto\"}},\"right\":\"ipv6\"}},{\"match\":{\"op\":\"=="
    "\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}}"
    ",\"right\":7900}},{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"family"
    "\":\"inet\",\"table\":\"t\",\"chain\":\"pre\",\"handle\":32,\"expr\""
    ":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ud"
    "p\",\"field\":\"dport\"}},\"right\":8000}},{\"ct helper\":\"ftp-std\""
    "}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"pre\""
    ",\"handle\":33,\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"paylo"
    "ad\":{\"protocol\":\"th\",\"field\":\"dport\"}},\"right\":8100}},{\""
    "ct helper\":\"ftp-std\"}]}},{\"rule\":{\"family\":\"inet\",\"table\""
    ":\"t\",\"chain\":\"pre\",\"handle\":34,\"expr\":[{\"match\":{\"op\":"
    "\"<\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\""
    "}},\"right\":1024}},{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"fami"
    "ly\":\"inet\",\"table\":\"t\",\"chain\":\"sub\",\"handle\":35,\"expr"
    "\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\""
    "tcp\",\"field\":\"dport\"}},\"right\":7550}},{\"return\":null}]}},{\""
    "rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"sub\",\"hand"
    "le\":36,\"expr\":[{\"ct helper\":\"ftp-std\"}]}},{\"rule\":{\"family"
    "\":\"inet\",\"table\":\"t\",\"chain\":\"sub2\",\"handle\":37,\"expr\""
    ":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tc"
    "p\",\"field\":\"dport\"}},\"right\":9999}},{\"ct helper\":\"ftp-std\""
    "}]}},{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"sub3"
    "\",\"handle\":38,\"expr\":[{\"ct helper\":\"ftp-std\"}]}},{\"rule\":"
    "{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"out\",\"handle\":39"
    ",\"expr\":[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protoc"
    "ol\":\"ip\",\"field\":\"daddr\"}},\"right\":\"198.51.100.10\"}},{\"m"
    "atch\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\""
    "field\":\"dport\"}},\"right\":2121}},{\"ct helper\":\"ftp-std\"}]}},"
    "{\"table\":{\"family\":\"ip\",\"name\":\"n\",\"handle\":11}},{\"chai"
    "n\":{\"family\":\"ip\",\"table\":\"n\",\"name\":\"p\",\"handle\":1,\""
    "type\":\"nat\",\"hook\":\"postrouting\",\"prio\":100,\"policy\":\"ac"
    "cept\"}}]}";

/* What iptables-nft makes of `iptables -t raw -A PREROUTING -p tcp
 * --dport 21 -j CT --helper ftp` (its CT target is an xt statement, which
 * nft shows as {"xt": {"type": "target", "name": "CT"}}); written by hand. */
static const char xt_json[] =
    "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\",\"json_schema_ve"
    "rsion\":1}},{\"table\":{\"family\":\"ip\",\"name\":\"raw\",\"handle\":"
    "1}},{\"chain\":{\"family\":\"ip\",\"table\":\"raw\",\"name\":\"PREROUT"
    "ING\",\"handle\":1,\"type\":\"filter\",\"hook\":\"prerouting\",\"prio"
    "\":-300,\"policy\":\"accept\"}},{\"rule\":{\"family\":\"ip\",\"table\""
    ":\"raw\",\"chain\":\"PREROUTING\",\"handle\":2,\"expr\":[{\"match\":{"
    "\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\""
    "dport\"}},\"right\":21}},{\"xt\":{\"type\":\"target\",\"name\":\"CT\""
    "}}]}}]}";

/* An empty ruleset. */
static const char empty_json[] =
    "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\",\"release_name\":"
    "\"Lester Gooch #5\",\"json_schema_version\":1}}]}";

struct row {
	const char *json;
	const char *name;		/* of the fixture, for messages */
	enum fw_hook hook;
	const char *daddr;		/* "*4", "*6": every address */
	uint16_t dport;
	bool attached;
};

#define PRE	FW_HOOK_PREROUTING
#define OUT	FW_HOOK_OUTPUT
#define J(x)	x, #x

static const struct row rows[] = {
	/* What ftpsgw prints: the listeners, the backend, nothing else. */
	{ J(lab_json), PRE, "203.0.113.1", 21, true },
	{ J(lab_json), PRE, "203.0.113.1", 990, true },
	{ J(lab_json), PRE, "2001:db8:1::1", 21, true },
	{ J(lab_json), PRE, "2001:db8:1::1", 990, true },
	{ J(lab_json), PRE, "203.0.113.1", 2121, false },
	{ J(lab_json), PRE, "198.51.100.1", 21, false },
	{ J(lab_json), PRE, "2001:db8:2::1", 21, false },
	{ J(lab_json), PRE, "*4", 21, true },	/* may: one address is */
	{ J(lab_json), OUT, "198.51.100.10", 21, true },
	{ J(lab_json), OUT, "2001:db8:2::10", 21, true },
	{ J(lab_json), OUT, "198.51.100.10", 2121, false },
	{ J(no_pre_json), PRE, "203.0.113.1", 21, false },
	{ J(no_pre_json), PRE, "2001:db8:1::1", 990, false },
	{ J(no_pre_json), OUT, "198.51.100.10", 21, true },
	{ J(empty_json), PRE, "203.0.113.1", 21, false },
	{ J(empty_json), OUT, "198.51.100.10", 21, false },
	/* iptables-nft's CT target: the helper is not shown, so it may be
	 * ftp; its table is IPv4 only. */
	{ J(xt_json), PRE, "203.0.113.1", 21, true },
	{ J(xt_json), PRE, "203.0.113.1", 990, false },
	{ J(xt_json), PRE, "2001:db8:1::1", 21, false },
	{ J(xt_json), OUT, "198.51.100.10", 21, false },
	/* A chain at raw priority runs before the conntrack exists. */
	{ J(tricky_json), PRE, "203.0.113.1", 5000, false },
	/* An accept before the helper rule ends the chain. */
	{ J(tricky_json), PRE, "203.0.113.1", 6000, false },
	/* udp is not the connection's protocol; `dport < 1024` catches 21. */
	{ J(tricky_json), PRE, "203.0.113.1", 21, true },
	{ J(tricky_json), PRE, "203.0.113.1", 1000, true },
	{ J(tricky_json), PRE, "203.0.113.1", 8000, false },
	{ J(tricky_json), PRE, "203.0.113.1", 8100, true },	/* th */
	/* Addresses: !=, prefixes of either family, every address. */
	{ J(tricky_json), PRE, "203.0.113.1", 7000, false },
	{ J(tricky_json), PRE, "203.0.113.2", 7000, true },
	{ J(tricky_json), PRE, "*4", 7000, true },
	{ J(tricky_json), PRE, "2001:db8:1::1", 7000, false },
	{ J(tricky_json), PRE, "203.0.113.200", 7100, true },
	{ J(tricky_json), PRE, "198.51.100.1", 7100, false },
	{ J(tricky_json), PRE, "2001:db8:1:ffff::1", 7100, true },
	{ J(tricky_json), PRE, "2001:db8:2::1", 7100, false },
	/* Named sets: a concatenation, ports and an interval, an empty
	 * one. */
	{ J(tricky_json), PRE, "203.0.113.7", 2121, true },
	{ J(tricky_json), PRE, "203.0.113.1", 2121, false },
	{ J(tricky_json), PRE, "203.0.113.1", 4000, true },
	{ J(tricky_json), PRE, "203.0.113.1", 4150, true },
	{ J(tricky_json), PRE, "203.0.113.1", 4300, false },
	/* Helpers of another type, or of the other family. */
	{ J(tricky_json), PRE, "203.0.113.1", 7200, false },
	{ J(tricky_json), PRE, "203.0.113.1", 7300, true },
	{ J(tricky_json), PRE, "2001:db8:1::1", 7300, false },
	/* A condition it cannot judge (the interface) may hold. */
	{ J(tricky_json), PRE, "203.0.113.1", 7400, true },
	/* jump: into the chain and back; its return ends only it. */
	{ J(tricky_json), PRE, "203.0.113.1", 7500, true },
	{ J(tricky_json), PRE, "203.0.113.1", 7550, false },
	/* goto does not come back: the next rule is never reached. */
	{ J(tricky_json), PRE, "203.0.113.1", 7700, false },
	/* A verdict map, for its own key only. */
	{ J(tricky_json), PRE, "203.0.113.1", 7800, true },
	{ J(tricky_json), PRE, "203.0.113.1", 7801, false },
	/* meta nfproto. */
	{ J(tricky_json), PRE, "203.0.113.1", 7900, false },
	{ J(tricky_json), PRE, "2001:db8:1::1", 7900, true },
	/* Output is its own hook. */
	{ J(tricky_json), OUT, "198.51.100.10", 2121, true },
	{ J(tricky_json), OUT, "198.51.100.11", 2121, false },
	{ J(tricky_json), OUT, "198.51.100.10", 8100, false },
};

static void
parse(const char *json, struct json_tok **tok, struct json_doc *doc)
{
	size_t n;

	assert_int_equal(json_parse(json, strlen(json), NULL, 0, &n, doc),
	    JSON_OK);
	*tok = calloc(n, sizeof(**tok));
	assert_non_null(*tok);
	assert_int_equal(json_parse(json, strlen(json), *tok, n, &n, doc),
	    JSON_OK);
	assert_true(fw_check_is_ruleset(doc));
}

static void
test_helper(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct fw_conn c;
		struct json_tok *tok;
		struct json_doc doc;

		memset(&c, 0, sizeof(c));
		c.hook = r->hook;
		c.dport = r->dport;
		if (r->daddr[0] == '*') {
			c.family = r->daddr[1] == '6' ? AF_INET6 : AF_INET;
			c.any_addr = true;
		} else {
			c.family = strchr(r->daddr, ':') ? AF_INET6 : AF_INET;
			assert_int_equal(inet_pton(c.family, r->daddr,
			    c.daddr), 1);
		}
		print_message("row %zu: %s %s %s port %u: %s\n", i, r->name,
		    r->hook == OUT ? "output" : "prerouting", r->daddr,
		    r->dport, r->attached ? "attached" : "missing");
		parse(r->json, &tok, &doc);
		assert_int_equal(fw_check_helper(&doc, &c), r->attached);
		free(tok);
	}
}

static void
test_nat(void **state)
{
	static const struct {
		const char *json;
		int family;
		bool nat;
	} nat[] = {
		{ lab_json, AF_INET, true },	/* inet: both families */
		{ lab_json, AF_INET6, true },
		{ tricky_json, AF_INET, true },	/* table ip n */
		{ tricky_json, AF_INET6, false },
		{ empty_json, AF_INET, false },
		{ xt_json, AF_INET, false },
	};
	struct json_tok *tok;
	struct json_doc doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nat) / sizeof(nat[0]); i++) {
		parse(nat[i].json, &tok, &doc);
		assert_int_equal(fw_check_nat(&doc, nat[i].family), nat[i].nat);
		free(tok);
	}
}

/* backend_source = client: the mark rule --firewall prints (nft's own
 * JSON of it, trimmed), the same in an output chain, without the mark,
 * in an ip6 table, and iptables-nft's socket match with MARK. */
#define TP_CHAIN(fam, hook) \
	"{\"chain\":{\"family\":\"" fam "\",\"table\":\"t\"," \
	"\"name\":\"c\",\"type\":\"filter\",\"hook\":\"" hook "\"," \
	"\"prio\":-150,\"policy\":\"accept\"}}"
#define TP_RULE(fam, exprs) \
	"{\"rule\":{\"family\":\"" fam "\",\"table\":\"t\"," \
	"\"chain\":\"c\",\"handle\":4,\"expr\":[" exprs "]}}"
#define TP_SOCKET "{\"match\":{\"op\":\"==\",\"left\":{\"socket\":" \
	"{\"key\":\"transparent\"}},\"right\":1}}"
#define TP_MARK "{\"mangle\":{\"key\":{\"meta\":{\"key\":\"mark\"}}," \
	"\"value\":1}}"
#define TP_SADDR "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":" \
	"{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":" \
	"\"198.51.100.10\"}}"
#define TP_DOC(chain, rule) "{\"nftables\":[" chain "," rule "]}"

static void
test_transparent(void **state)
{
	static const struct {
		const char *json;
		int family;
		bool marked;
	} cases[] = {
		{ TP_DOC(TP_CHAIN("inet", "prerouting"), TP_RULE("inet",
		    TP_SADDR "," TP_SOCKET "," TP_MARK)), AF_INET, true },
		{ TP_DOC(TP_CHAIN("inet", "prerouting"), TP_RULE("inet",
		    TP_SADDR "," TP_SOCKET "," TP_MARK)), AF_INET6, true },
		{ TP_DOC(TP_CHAIN("inet", "output"), TP_RULE("inet",
		    TP_SOCKET "," TP_MARK)), AF_INET, false },
		{ TP_DOC(TP_CHAIN("inet", "prerouting"), TP_RULE("inet",
		    TP_SADDR "," TP_SOCKET)), AF_INET, false },
		{ TP_DOC(TP_CHAIN("inet", "prerouting"), TP_RULE("inet",
		    TP_SADDR "," TP_MARK)), AF_INET, false },
		{ TP_DOC(TP_CHAIN("ip6", "prerouting"), TP_RULE("ip6",
		    TP_SOCKET "," TP_MARK)), AF_INET, false },
		{ TP_DOC(TP_CHAIN("ip6", "prerouting"), TP_RULE("ip6",
		    TP_SOCKET "," TP_MARK)), AF_INET6, true },
		{ TP_DOC(TP_CHAIN("ip", "prerouting"), TP_RULE("ip",
		    "{\"xt\":{\"type\":\"match\",\"name\":\"socket\"}},"
		    "{\"xt\":{\"type\":\"target\",\"name\":\"MARK\"}}")),
		    AF_INET, true },
	};
	struct json_tok *tok;
	struct json_doc doc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("row %zu\n", i);
		parse(cases[i].json, &tok, &doc);
		assert_int_equal(fw_check_transparent(&doc, cases[i].family),
		    cases[i].marked);
		free(tok);
	}
}

/* iproute2's JSON, as `ip -j rule show` and `ip -j route show table 100`
 * print it (taken from this machine). */
static void
test_policy_routing(void **state)
{
	static const char with_rule[] = "[{\"priority\":0,\"src\":\"all\","
	    "\"table\":\"local\"},{\"priority\":32765,\"src\":\"all\","
	    "\"fwmark\":\"0x1\",\"table\":\"100\"},{\"priority\":32766,"
	    "\"src\":\"all\",\"table\":\"main\"}]";
	static const char other_table[] = "[{\"priority\":32765,\"src\":"
	    "\"all\",\"fwmark\":\"0x1\",\"table\":\"200\"}]";
	static const char local[] = "[{\"type\":\"local\",\"dst\":"
	    "\"default\",\"dev\":\"lo\",\"scope\":\"host\",\"flags\":[]}]";
	static const char unicast[] = "[{\"dst\":\"default\",\"gateway\":"
	    "\"192.0.2.1\",\"dev\":\"eth0\",\"flags\":[]}]";
	const struct {
		const char *json;
		bool rule, route;
	} cases[] = {
		{ with_rule, true, false },
		{ other_table, false, false },
		{ local, false, true },
		{ unicast, false, false },
		{ "[]", false, false },
		{ "{}", false, false },
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_tok *tok;
		struct json_doc doc;

		assert_int_equal(json_parse(cases[i].json, strlen(cases[i].json),
		    NULL, 0, &n, &doc), JSON_OK);
		tok = calloc(n, sizeof(*tok));
		assert_non_null(tok);
		assert_int_equal(json_parse(cases[i].json, strlen(cases[i].json),
		    tok, n, &n, &doc), JSON_OK);
		assert_int_equal(fw_check_ip_rule(&doc, "0x1", "100"),
		    cases[i].rule);
		assert_int_equal(fw_check_local_route(&doc), cases[i].route);
		free(tok);
	}
}

/* JSON that is not nft's ruleset is not one. */
static void
test_not_ruleset(void **state)
{
	static const char *const texts[] = {
		"{}", "[]", "{\"nftables\":{}}", "{\"nft\":[]}", "\"nftables\"",
		"{\"nftables\":[{\"chain\":7},{\"rule\":[]},[],1]}",
	};
	struct fw_conn c = { .hook = PRE, .family = AF_INET, .any_addr = true,
	    .dport = 21 };
	struct json_tok tok[16];
	struct json_doc doc;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(json_parse(texts[i], strlen(texts[i]), tok, 16,
		    &n, &doc), JSON_OK);
		assert_int_equal(fw_check_is_ruleset(&doc), i == 5);
		assert_false(fw_check_helper(&doc, &c));
		assert_false(fw_check_nat(&doc, AF_INET));
	}
}

/* Chains that each jump 40 times to the next, 17 deep, no helper: 40^16
 * paths. The reading stops at its budget, in bounded time, and errs
 * towards "may attach" (no warning). */
static void
test_budget(void **state)
{
	enum { LEVELS = 17, FANOUT = 40 };
	struct fw_conn c = { .hook = PRE, .family = AF_INET, .any_addr = true,
	    .dport = 21 };
	size_t cap = 4096 + (size_t)LEVELS * FANOUT * 160, o;
	char *json = malloc(cap);
	struct json_tok *tok;
	struct json_doc doc;
	int lv, k;

	(void)state;
	assert_non_null(json);
	o = (size_t)snprintf(json, cap, "{\"nftables\":[{\"chain\":{\"family\":"
	    "\"inet\",\"table\":\"t\",\"name\":\"c0\",\"type\":\"filter\","
	    "\"hook\":\"prerouting\",\"prio\":0}}");
	for (lv = 0; lv + 1 < LEVELS; lv++)
		for (k = 0; k < FANOUT; k++)
			o += (size_t)snprintf(json + o, cap - o, ",{\"rule\":{"
			    "\"family\":\"inet\",\"table\":\"t\",\"chain\":"
			    "\"c%d\",\"expr\":[{\"jump\":{\"target\":\"c%d\"}}]}}",
			    lv, lv + 1);
	o += (size_t)snprintf(json + o, cap - o, "]}");
	assert_true(o < cap);
	parse(json, &tok, &doc);
	assert_true(fw_check_helper(&doc, &c));
	free(tok);
	free(json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helper),
		cmocka_unit_test(test_nat),
		cmocka_unit_test(test_not_ruleset),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_transparent),
		cmocka_unit_test(test_policy_routing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
