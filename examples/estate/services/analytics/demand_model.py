"""Demand forecasting with a generalized linear model (statsmodels GLM) and PyGLM vector math."""

import glm
import statsmodels.api as sm

model = sm.GLM([1, 2, 3], [[1], [2], [3]], family=sm.families.Poisson())
step = 0.5  # optimiser step, not StepFun
v = glm.vec3(1, 2, 3)
