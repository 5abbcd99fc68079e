//! The native builder on real projects from the package index: each sdist,
//! pinned by version and sha256, is downloaded with pip into a cache under
//! target/, unpacked, and built both ways with `cargo xtask dist --compare`,
//! which must find nothing but the deliberate differences.
//!
//! The first projects were chosen for variety: src and flat layouts (found
//! by automatic discovery or configured), namespace packages, MANIFEST.in
//! graft/prune/recursive-include, package data, attr and file versions, old
//! and PEP 639 license styles, entry points, extras with markers, and two
//! published InvokeAI sdists. The rest follow one rule: well-known
//! pure-Python packages whose latest sdist builds with setuptools from a
//! `[project]` table with no setuptools plugin among its build requirements
//! (checked in the sdist's pyproject.toml before counting it). Among them:
//! setup.cfg metadata beside `[project]` (pycparser, slack-bolt), dynamic
//! fields read from files (slack-sdk), malformed MANIFEST.in lines
//! (htmldate, resolvelib), integer and no-op `[tool.distutils]` options
//! (parameterized, pymodbus, yapf).
//!
//! Every project tried is listed in docs/dist.md ("Real projects") with its
//! result: those refused (a setup.py that does more than call setup(),
//! setuptools plugins, extension modules), those out of scope (no
//! `[project]` table, another build backend), and the matching sdists over
//! 2 MB (Django, moviepy, netaddr, python-docx), compared by hand with
//! `dist --compare` and kept out of this lane.
//!
//! Every run builds [`DEFAULT_LANE`]; `XTASK_REAL_PROJECTS=all` builds every
//! project of [`PROJECTS`], `XTASK_REAL_PROJECTS=NAME` that one project.
//! Every RECORD line of both wheels of each project is then recomputed from
//! the member bytes by Python's zipfile and hashlib
//! (`fixtures/record/check_record.py`).

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use support::*;

/// `name==version`, the sdist's file name and its sha256.
const PROJECTS: &[(&str, &str, &str)] = &[
    (
        "alchemical==1.0.3",
        "alchemical-1.0.3.tar.gz",
        "61a9b2974c1d2502e9d2af07427a650f1b95eab255d3a8d7695bb555f61997d2",
    ),
    (
        "alembic==1.20.1",
        "alembic-1.20.1.tar.gz",
        "83490def1f723413db5096591f7609ac52544805be93849170088ed04f5a2e0b",
    ),
    (
        "antlr4-python3-runtime==4.13.2",
        "antlr4_python3_runtime-4.13.2.tar.gz",
        "909b647e1d2fc2b70180ac586df3933e38919c85f98ccc656a96cd3f25ef3916",
    ),
    (
        "apifairy==1.5.1",
        "apifairy-1.5.1.tar.gz",
        "de8db6d1a78dee90193f828ee8f5018422ef065901339ff496c955b85f3fe541",
    ),
    (
        "apig-wsgi==2.20.0",
        "apig_wsgi-2.20.0.tar.gz",
        "9c6aea1e96688b5848efb409ae3c3afb4ed2b162cd71dab683b1466a7387b964",
    ),
    (
        "astroid==4.3.4",
        "astroid-4.3.4.tar.gz",
        "d515a105722b72098bbe82d430d65e635f742b6cbac3bdfaf8b7c188b87c5e39",
    ),
    (
        "autopep8==2.3.2",
        "autopep8-2.3.2.tar.gz",
        "89440a4f969197b69a995e4ce0661b031f455a9f776d2c5ba3dbd83466931758",
    ),
    (
        "bibtexparser==2.1.0",
        "bibtexparser-2.1.0.tar.gz",
        "9f48851eef4693cb7ef6897f7628966c5d0ef49b6403b13a862679a4c313d176",
    ),
    (
        "bitstring==5.0.0",
        "bitstring-5.0.0.tar.gz",
        "01d876b6e7bbd912bfa3ae1d028ed419ed2193245fe2337f21d30afaa391c053",
    ),
    (
        "blacken-docs==1.20.0",
        "blacken_docs-1.20.0.tar.gz",
        "2d5b6caf6e7da5694b1eba97f9132c1ab9f14f221c82205ec473a6e74fbb2c6d",
    ),
    (
        "Cerberus==1.3.8",
        "cerberus-1.3.8.tar.gz",
        "579554887ffd189226774b87570f4a76db75cf0efcbaffcacd5e98b8ee877f61",
    ),
    (
        "compel==2.5.1",
        "compel-2.5.1.tar.gz",
        "72754a4efd71f093e97f905b73e4ba4df6616f8dc2231072a01f25b418501e1a",
    ),
    (
        "cron-descriptor==2.2.1",
        "cron_descriptor-2.2.1.tar.gz",
        "6759056f43b3cabca274b5df182bb63571f2f383bdd4d9d3ff4662c527430a65",
    ),
    (
        "decorator==5.3.1",
        "decorator-5.3.1.tar.gz",
        "4cbcdd55a6efadb9dbea26b858f4fb3264567b52d69ca0d25b721b553f60ea82",
    ),
    (
        "django-browser-reload==1.21.0",
        "django_browser_reload-1.21.0.tar.gz",
        "3335ad3d107eb657f623d1a8e680dfbcab8a83ae1f94df1895e069dddf5604ba",
    ),
    (
        "django-cors-headers==4.9.0",
        "django_cors_headers-4.9.0.tar.gz",
        "fe5d7cb59fdc2c8c646ce84b727ac2bca8912a247e6e68e1fb507372178e59e8",
    ),
    (
        "django-linear-migrations==2.19.0",
        "django_linear_migrations-2.19.0.tar.gz",
        "5436a7d980ceb65b936a87bac5461bcce68ea24e03cd804f284ea91565589e1b",
    ),
    (
        "django-read-only==1.21.0",
        "django_read_only-1.21.0.tar.gz",
        "5ffc75ccc8a9d9b7b587b074681472fd8edc49624cf0f537812d839a993182c4",
    ),
    (
        "django-rich==2.2.0",
        "django_rich-2.2.0.tar.gz",
        "ecec7842d040024ed8a225699388535e46b87277550c33f46193b52cece2f780",
    ),
    (
        "dogpile.cache==1.5.0",
        "dogpile_cache-1.5.0.tar.gz",
        "849c5573c9a38f155cd4173103c702b637ede0361c12e864876877d0cd125eec",
    ),
    (
        "elementpath==5.1.4",
        "elementpath-5.1.4.tar.gz",
        "3c912a9c41311ac5244c038867670d7c0b0fec0e444813608e5b846dbb3428ac",
    ),
    (
        "emoji==2.16.0",
        "emoji-2.16.0.tar.gz",
        "ff9e9b1c48389ef78ed1787e7693c555e84e6bb9bac16be1fd65e1616dbf80c8",
    ),
    (
        "exchangelib==5.6.0",
        "exchangelib-5.6.0.tar.gz",
        "a65cffba3b4d1166347059e88b1f11eae9a9d70119c3ad9b33389d7258f6181c",
    ),
    (
        "fasteners==0.20",
        "fasteners-0.20.tar.gz",
        "55dce8792a41b56f727ba6e123fcaee77fd87e638a6863cec00007bfea84c8d8",
    ),
    (
        "fire==0.7.1",
        "fire-0.7.1.tar.gz",
        "3b208f05c736de98fb343310d090dcc4d8c78b2a89ea4f32b837c586270a9cbf",
    ),
    (
        "flake8-comprehensions==3.17.0",
        "flake8_comprehensions-3.17.0.tar.gz",
        "bf4fa102b2bf4d6c9e999e29e4b2724cbadffb70b937600fc782161be4dc0f4a",
    ),
    (
        "flake8-tidy-imports==4.12.0",
        "flake8_tidy_imports-4.12.0.tar.gz",
        "9254788c3b6862c2fcec0250d2dc9af089afebff9c5b8a8ac8b9525b059b06db",
    ),
    (
        "Flask-Cors==6.0.2",
        "flask_cors-6.0.2.tar.gz",
        "6e118f3698249ae33e429760db98ce032a8bf9913638d085ca0f4c5534ad2423",
    ),
    (
        "Flask-HTTPAuth==4.8.1",
        "flask_httpauth-4.8.1.tar.gz",
        "88499b22f1353893743c3cd68f2ca561c4ad9ef75cd6bcc7f621161cd0e80744",
    ),
    (
        "Flask-Migrate==4.1.0",
        "flask_migrate-4.1.0.tar.gz",
        "1a336b06eb2c3ace005f5f2ded8641d534c18798d64061f6ff11f79e1434126d",
    ),
    (
        "Flask-Moment==1.0.6",
        "flask_moment-1.0.6.tar.gz",
        "2f8969907cbacde4a88319792e8f920ba5c9dd9d99ced2346cad563795302b88",
    ),
    (
        "Flask-SocketIO==5.7.0",
        "flask_socketio-5.7.0.tar.gz",
        "aa01e50106962808dadc245407c3b6354295b1526e888bd154dc7ff4801a7c88",
    ),
    (
        "graphviz==0.21",
        "graphviz-0.21.tar.gz",
        "20743e7183be82aaaa8ad6c93f8893c923bd6658a04c32ee115edb3c8a835f78",
    ),
    (
        "greenletio==0.11.0",
        "greenletio-0.11.0.tar.gz",
        "5751773f859ee7c5a8745569af04b27532e2b8bdb170eb224193bebc32f38136",
    ),
    (
        "gTTS==2.5.4",
        "gtts-2.5.4.tar.gz",
        "f5737b585f6442f677dbe8773424fd50697c75bdf3e36443585e30a8d48c1884",
    ),
    (
        "gunicorn==27.0.1",
        "gunicorn-27.0.1.tar.gz",
        "b1514965361c8b7e8107a80aa2a92636878df1ccfac6dd204a676426e04d9e3e",
    ),
    (
        "h2==4.4.1",
        "h2-4.4.1.tar.gz",
        "4e866ffb1a869ae14dd9b5e6beb5c24a13da0495ad72b65925ded182521c1516",
    ),
    (
        "hpack==4.2.0",
        "hpack-4.2.0.tar.gz",
        "0895cfa3b5531fc65fe439c05eb65144f123bf7a394fcaa56aa423548d8e45c0",
    ),
    (
        "htmldate==1.11.0",
        "htmldate-1.11.0.tar.gz",
        "e099a58143d5ff32471f2aa8770247e12f0f5bdff62f2df74f833277fd0071b6",
    ),
    (
        "hyperframe==6.1.0",
        "hyperframe-6.1.0.tar.gz",
        "f630908a00854a7adeabd6382b43923a4c4cd4b821fcb527e6ab9e15382a3b08",
    ),
    (
        "IMAPClient==4.1.0",
        "imapclient-4.1.0.tar.gz",
        "b7cefa7c9bf3ec029c007dfade191480b82eb3816fc20ab23ef48e7aec841a7f",
    ),
    (
        "joblib==1.6.0",
        "joblib-1.6.0.tar.gz",
        "2ccc96785b12046c08fd6d55839c12857831b54a3c1673ffadd2f04bfc4eda03",
    ),
    (
        "json5==0.17.3",
        "json5-0.17.3.tar.gz",
        "8d0278ad34ebaa9c3af76d9519274811830224a2d1cd5af156dbd067f461b8a4",
    ),
    (
        "linkify-it-py==2.2.0",
        "linkify_it_py-2.2.0.tar.gz",
        "907acd2d17ac1fbb9ddb62c8957ccbd6158cac602231a15c3b0cd1e215f03cee",
    ),
    (
        "Mako==1.4.3",
        "mako-1.4.3.tar.gz",
        "cd6537fe88d5fec315c55c2f8529bc4ce7a9a352ad7db3eeaa6a66e2dd4ec37a",
    ),
    (
        "Markdown==3.11.3",
        "markdown-3.11.3.tar.gz",
        "81eb91631dc97ad1efbc76019ef0f80fe90ca49ddf81546752d79989c3bfff3e",
    ),
    (
        "microdot==2.7.0",
        "microdot-2.7.0.tar.gz",
        "e11f39f0f5564bb5db69f728902740ed592d632ae7a03e24ca3a88cd59ad2f53",
    ),
    (
        "mistune==3.4.0",
        "mistune-3.4.0.tar.gz",
        "2eaf7952af928ca8d33b779762effc1da517b62c6ad85ec8ca957e3b07b9782a",
    ),
    (
        "networkx==3.6.1",
        "networkx-3.6.1.tar.gz",
        "26b7c357accc0c8cde558ad486283728b65b6a95d85ee1cd66bafab4c8168509",
    ),
    (
        "numpydoc==1.10.0",
        "numpydoc-1.10.0.tar.gz",
        "3f7970f6eee30912260a6b31ac72bba2432830cd6722569ec17ee8d3ef5ffa01",
    ),
    (
        "parameterized==0.9.0",
        "parameterized-0.9.0.tar.gz",
        "7fc905272cefa4f364c1a3429cbbe9c0f98b793988efb5bf90aac80f08db09b1",
    ),
    (
        "parse==1.22.4",
        "parse-1.22.4.tar.gz",
        "706d458feed5a81b02768d3156e8070baf6cee7d150a3a3c0cd43101a875c3b5",
    ),
    (
        "pika==1.4.4",
        "pika-1.4.4.tar.gz",
        "8cfc8b33a5cb16e733bd60cffca9732c0d1d761ecd80a89f34ed7df2cd38d6d6",
    ),
    (
        "prompt-toolkit==3.0.53",
        "prompt_toolkit-3.0.53.tar.gz",
        "9ec8a0ad96d5c56148b3f914aa79c1564c3fde5d2e6b876e7bc327e353cf8fa6",
    ),
    (
        "psycopg==3.3.9",
        "psycopg-3.3.9.tar.gz",
        "87c1d85c3e0e88e811d3c0b3808f947bd967c6faf34af6cd86fd021f77793d6c",
    ),
    (
        "pyasn1==0.6.5",
        "pyasn1-0.6.5.tar.gz",
        "6b11616a6bcf3a40e635f082bb232fa57b5e0dd7f517bd7ddd69ec3794508a47",
    ),
    (
        "pycparser==3.12",
        "pycparser-3.12.tar.gz",
        "f03387877eab82ce01bbdfd0ba7252ee55a90b1c708d5129e2ce915475cf1db6",
    ),
    (
        "pydash==8.1.0",
        "pydash-8.1.0.tar.gz",
        "30914c3e9d377ea2cd0d3c0a4f252889b08392f730a5eb4d117e5b598cdf1d52",
    ),
    (
        "pydot==4.0.1",
        "pydot-4.0.1.tar.gz",
        "c2148f681c4a33e08bf0e26a9e5f8e4099a82e0e2a068098f32ce86577364ad5",
    ),
    (
        "pyfakefs==6.3.2",
        "pyfakefs-6.3.2.tar.gz",
        "7c67bdf4c11b42903c7cb6c74fa63432485afc697ad6f89ecce6fb0a4e4f24ed",
    ),
    (
        "PyJWT==2.15.1",
        "pyjwt-2.15.1.tar.gz",
        "4f259e80cdfb6b3fc18a7de51fd1ef9ec79652f25019bae68975ca2468a34df8",
    ),
    (
        "pylint==4.1.4",
        "pylint-4.1.4.tar.gz",
        "4c9176dc6c9f1b98b742195f01899b290369d5a27b4b41d1014c17f2f96b26f1",
    ),
    (
        "pymodbus==3.16.1",
        "pymodbus-3.16.1.tar.gz",
        "19e571826dff37860afc31c845c1fd2fb72acffca02a233506b32d94fa022c33",
    ),
    (
        "PyMySQL==1.2.4",
        "pymysql-1.2.4.tar.gz",
        "491558165b8e11f3644c5f9cfb30cc9c9111ffd54e53d3aa91b9a0a20be2294f",
    ),
    (
        "pyperclip==1.11.0",
        "pyperclip-1.11.0.tar.gz",
        "244035963e4428530d9e3a6101a1ef97209c6825edab1567beac148ccc1db1b6",
    ),
    (
        "python-benedict==0.40.1",
        "python_benedict-0.40.1.tar.gz",
        "2a6feb884b6055e0b1669d5d2ff838d01d7dbe29f3982e4c86886979e1967e6d",
    ),
    (
        "python-engineio==4.15.1",
        "python_engineio-4.15.1.tar.gz",
        "1a412e798a90c64fabe7b20798939ae6d4a03f34da8a33d5a21a25a8bbbc3612",
    ),
    (
        "python-gitlab==8.6.0",
        "python_gitlab-8.6.0.tar.gz",
        "d1602164fb58ab280ceef460faf015cec6e7d83bb2d9cbae44ba448adb5568ef",
    ),
    (
        "python-json-logger==4.2.0",
        "python_json_logger-4.2.0.tar.gz",
        "e371ebe22ec01e289850102091a2b1f6fc9e655c7f1f5f29073936756c290afa",
    ),
    (
        "python-socketio==5.18.1",
        "python_socketio-5.18.1.tar.gz",
        "07ab0e7c94a52833a67af1dc05958ad6fb0de69adc87de9198a61b22588c40d4",
    ),
    (
        "readme-renderer==46.0",
        "readme_renderer-46.0.tar.gz",
        "af3e964914f6310a33ff67b72a4bdd940bed8d7c3bdecd2d14f40edf284bfe90",
    ),
    (
        "resolvelib==1.2.1",
        "resolvelib-1.2.1.tar.gz",
        "7d08a2022f6e16ce405d60b68c390f054efcfd0477d4b9bd019cc941c28fad1c",
    ),
    (
        "rich-click==1.9.9",
        "rich_click-1.9.9.tar.gz",
        "324cba7513cd4187ee92b2eef21f071714e45be062458c8b157bd7e0c81103e3",
    ),
    (
        "SecretStorage==3.5.0",
        "secretstorage-3.5.0.tar.gz",
        "f04b8e4689cbce351744d5537bf6b1329c6fc68f91fa666f60a380edddcd11be",
    ),
    (
        "Send2Trash==2.2.0",
        "send2trash-2.2.0.tar.gz",
        "e0ac412073f7984288908d9d8b8d13c82be69a615bb513d948fa2f053447970a",
    ),
    (
        "simple-websocket==1.1.0",
        "simple_websocket-1.1.0.tar.gz",
        "7939234e7aa067c534abdab3a9ed933ec9ce4691b0713c78acb195560aa52ae4",
    ),
    (
        "slack-bolt==1.30.0",
        "slack_bolt-1.30.0.tar.gz",
        "af38258d41f801ad9c74503090e0f39accd66c49f667f7e55c97fcdb0e51b886",
    ),
    (
        "slack-sdk==3.48.0",
        "slack_sdk-3.48.0.tar.gz",
        "e54389b4b9b221c9d57f1d98bc1e28f4918e4e0bc435cc5d430216cb1ab6ad7c",
    ),
    (
        "snakeviz==2.2.2",
        "snakeviz-2.2.2.tar.gz",
        "08028c6f8e34a032ff14757a38424770abb8662fb2818985aeea0d9bc13a7d83",
    ),
    (
        "spandrel==0.4.2",
        "spandrel-0.4.2.tar.gz",
        "fefa4ea966c6a5b7721dcf24f3e2062a5a96a395c8bedcb570fb55971fdcbccb",
    ),
    (
        "SQLAlchemy-Utils==0.43.0",
        "sqlalchemy_utils-0.43.0.tar.gz",
        "7e8741dbc2c0f992d2181cd69de13de292b3a2a5305a9da832e10d540abcedbf",
    ),
    (
        "strictyaml==1.7.3",
        "strictyaml-1.7.3.tar.gz",
        "22f854a5fcab42b5ddba8030a0e4be51ca89af0267961c8d6cfa86395586c407",
    ),
    (
        "toposort==1.10",
        "toposort-1.10.tar.gz",
        "bfbb479c53d0a696ea7402601f4e693c97b0367837c8898bc6471adfca37a6bd",
    ),
    (
        "trafilatura==2.3.1",
        "trafilatura-2.3.1.tar.gz",
        "2e5557aeab32d33b9da7ff0debbb677a676c5b648a927e50d91b8277011e1105",
    ),
    (
        "trio==0.35.0",
        "trio-0.35.0.tar.gz",
        "7efb295c78a0ecd1235c5759e620b5da564ca80d2efcb0055423588547248b96",
    ),
    (
        "tzlocal==5.4.5",
        "tzlocal-5.4.5.tar.gz",
        "ba976898bad27945178c9ca25c222c19e322b30c10342b9f40b46714f70d2d5f",
    ),
    (
        "uc-micro-py==2.0.0",
        "uc_micro_py-2.0.0.tar.gz",
        "c53691e495c8db60e16ffc4861a35469b0ba0821fe409a8a7a0a71864d33a811",
    ),
    (
        "validators==0.36.0",
        "validators-0.36.0.tar.gz",
        "92ad9ed00bbed320b784cec0ea90b213cf08904cf605b3d0852cfa4108e32a2c",
    ),
    (
        "vulture==2.16",
        "vulture-2.16.tar.gz",
        "f8d9f6e2af03011664a3c6c240c9765b3f392917d3135fddca6d6a68d359f717",
    ),
    (
        "whatthepatch==1.0.7",
        "whatthepatch-1.0.7.tar.gz",
        "9eefb4ebea5200408e02d413d2b4bc28daea6b78bb4b4d53431af7245f7d7edf",
    ),
    (
        "whitenoise==6.12.0",
        "whitenoise-6.12.0.tar.gz",
        "f723ebb76a112e98816ff80fcea0a6c9b8ecde835f8ddda25df7a30a3c2db6ad",
    ),
    (
        "wsproto==1.3.2",
        "wsproto-1.3.2.tar.gz",
        "b86885dcf294e15204919950f666e06ffc6c7c114ca900b060d6e16293528294",
    ),
    (
        "xmlschema==4.3.2",
        "xmlschema-4.3.2.tar.gz",
        "f3b33a21a2b2cdc404ddc3fb599d8bc1dee90b155d547370672e6e684746b8d6",
    ),
    (
        "xmltodict==1.0.4",
        "xmltodict-1.0.4.tar.gz",
        "6d94c9f834dd9e44514162799d344d815a3a4faec913717a9ecbfa5be1bb8e61",
    ),
    (
        "yapf==0.43.0",
        "yapf-0.43.0.tar.gz",
        "00d3aa24bfedff9420b2e0d5d9f5ab6d9d4268e72afbf59bb3fa542781d5218e",
    ),
    (
        "InvokeAI==5.6.2",
        "invokeai-5.6.2.tar.gz",
        "d77160c065aacb2f97c50e33cc166dc16ca4130668a62e9a12a6480ed19c6112",
    ),
    (
        "InvokeAI==5.9.1",
        "invokeai-5.9.1.tar.gz",
        "aac61bff5c2982a170249ea81573a750a3e0f20a601b26c1a8d72476085a0b65",
    ),
];

fn sha256_of(path: &Path) -> String {
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    format!("{:x}", hasher.finalize())
}

/// The sdist in the cache, downloaded with pip when missing or not the
/// pinned bytes.
/// The projects `cargo xtask test` builds (names as in [`PROJECTS`]): the
/// first ones, chosen for variety, with both InvokeAI sdists, and every
/// project that needed a change of the builder to match. The others, chosen
/// by the rule above, take four more minutes on two cores; they run with
/// `XTASK_REAL_PROJECTS=all`.
const DEFAULT_LANE: &[&str] = &[
    "alembic",
    "autopep8",
    "compel",
    "Flask-SocketIO",
    "h2",
    "hpack",
    "hyperframe",
    "Mako",
    "Markdown",
    "networkx",
    "parse",
    "PyJWT",
    "pyperclip",
    "python-engineio",
    "python-json-logger",
    "python-socketio",
    "Send2Trash",
    "simple-websocket",
    "spandrel",
    "trio",
    "tzlocal",
    "validators",
    "xmltodict",
    "InvokeAI",
    // Each matched only after a change of the builder.
    "htmldate",
    "parameterized",
    "pycparser",
    "pymodbus",
    "resolvelib",
    "slack-bolt",
    "slack-sdk",
    "trafilatura",
    "yapf",
];

/// The projects this run builds: [`DEFAULT_LANE`], all of them, or the one
/// named by `XTASK_REAL_PROJECTS`.
fn selected() -> Vec<&'static (&'static str, &'static str, &'static str)> {
    let choice = std::env::var("XTASK_REAL_PROJECTS").unwrap_or_default();
    PROJECTS
        .iter()
        .filter(|(spec, _, _)| {
            let name = spec.split("==").next().unwrap();
            match choice.as_str() {
                "all" => true,
                "" => DEFAULT_LANE.contains(&name),
                one => name.eq_ignore_ascii_case(one),
            }
        })
        .collect()
}

/// Our wheel and setuptools' for each project `dist --compare` built (it
/// keeps them in target/xtask/dist-compare/<folder>/), checked line by line
/// against their RECORD by Python's zipfile and hashlib.
fn check_records(projects: &[PathBuf]) {
    let mut wheels = Vec::new();
    for project in projects {
        let folder = project.file_name().unwrap();
        let work = repo_root().join("target/xtask/dist-compare").join(folder);
        for side in ["ours", "setuptools"] {
            let dir = work.join(side);
            let found: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "whl"))
                .collect();
            assert_eq!(found.len(), 1, "one wheel in {}", dir.display());
            wheels.extend(found);
        }
    }
    let out = output(
        Command::new(venv_python())
            .arg(repo_root().join("xtask/tests/fixtures/record/check_record.py"))
            .args(&wheels),
    );
    let report = stdout(&out);
    assert!(
        out.status.success() && report.lines().count() == wheels.len(),
        "RECORD does not match the members:\n{report}{}",
        stderr(&out)
    );
    eprintln!(
        "RECORD recomputed from the bytes for {} wheels",
        wheels.len()
    );
}

/// The pinned sdists of `projects` in `cache`: those missing (or not the
/// pinned bytes) are downloaded by pip, then every file is checked against
/// its sha256.
fn sdists(cache: &Path, projects: &[&(&str, &str, &str)]) -> Vec<PathBuf> {
    let cached = |file: &str, sha256: &str| {
        let path = cache.join(file);
        path.is_file() && sha256_of(&path) == sha256
    };
    let missing: Vec<&str> = projects
        .iter()
        .filter(|(_, file, sha256)| !cached(file, sha256))
        .map(|(spec, file, _)| {
            let _ = std::fs::remove_file(cache.join(file));
            *spec
        })
        .collect();
    // pip takes one version of a name per run: two InvokeAI versions make two runs.
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for spec in missing {
        let name = spec.split("==").next().unwrap().to_ascii_lowercase();
        let free = runs.iter_mut().find(|run| {
            !run.iter()
                .any(|s| s.split("==").next().unwrap().to_ascii_lowercase() == name)
        });
        match free {
            Some(run) => run.push(spec),
            None => runs.push(vec![spec]),
        }
    }
    for run in runs {
        eprintln!("downloading {} sdists with pip", run.len());
        run_ok(
            Command::new(venv_python())
                .args(["-m", "pip", "download", "--quiet", "--no-deps"])
                .args(["--disable-pip-version-check"])
                .args(["--no-binary", ":all:", "--no-build-isolation", "--dest"])
                .arg(cache)
                .args(&run),
        );
    }
    projects
        .iter()
        .map(|(_, file, sha256)| {
            let path = cache.join(file);
            assert!(
                path.is_file(),
                "pip wrote no {file} into {}",
                cache.display()
            );
            let got = sha256_of(&path);
            assert_eq!(
                &got, sha256,
                "{file} from the package index is not the pinned sdist"
            );
            path
        })
        .collect()
}

fn unpack(archive: &Path, into: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(into);
    std::fs::create_dir_all(into).unwrap();
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
    tar::Archive::new(gz).unpack(into).unwrap();
    let mut top: Vec<PathBuf> = std::fs::read_dir(into)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(top.len(), 1, "{} has one top folder", archive.display());
    top.pop().unwrap()
}

#[test]
fn real_projects_build_as_setuptools_builds_them() {
    venv_python();
    let base = repo_root().join("target/xtask/real-projects");
    let cache = base.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let projects = selected();
    for name in DEFAULT_LANE {
        assert!(
            PROJECTS
                .iter()
                .any(|(spec, _, _)| spec.starts_with(&format!("{name}=="))),
            "{name} is in DEFAULT_LANE but not in PROJECTS"
        );
    }
    // One pip run for the downloads, then the builds on every CPU: each is
    // mostly one setuptools process.
    let archives = sdists(&cache, &projects);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(Vec::new());
    let built = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((spec, file, _)) = projects.get(i) else {
                        break;
                    };
                    let project = unpack(&archives[i], &base.join("src").join(file));
                    let out = output(
                        xtask()
                            .args(["dist", "--compare", "--project"])
                            .arg(&project),
                    );
                    let text = stdout(&out);
                    let ok = out.status.success() && !text.contains("DIFFERS");
                    if out.status.success() {
                        built.lock().unwrap().push(project.clone());
                    }
                    eprintln!("{spec}: {}", if ok { "the same" } else { "DIFFERS" });
                    if !ok {
                        failed
                            .lock()
                            .unwrap()
                            .push(format!("{spec}:\n{text}{}", stderr(&out)));
                    }
                }
            });
        }
    });
    assert!(
        PROJECTS.len() >= 90,
        "at least 88 projects and two InvokeAI sdists"
    );
    let one = !matches!(
        std::env::var("XTASK_REAL_PROJECTS").as_deref(),
        Err(_) | Ok("" | "all")
    );
    assert!(
        one || projects.len() >= 22,
        "at least 20 projects and two InvokeAI sdists in every run"
    );
    assert!(!projects.is_empty(), "XTASK_REAL_PROJECTS names no project");
    let failed = failed.into_inner().unwrap();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    check_records(&built.into_inner().unwrap());
}
