FROM condaforge/miniforge3:24.3.0-0
COPY environment.yml /tmp/environment.yml
RUN mamba env create -f /tmp/environment.yml && conda clean -afy
SHELL ["conda", "run", "-n", "app", "/bin/bash", "-c"]
COPY . /app
RUN python -c "import app"
ENTRYPOINT ["conda", "run", "--no-capture-output", "-n", "app", "python", "-m", "app"]
