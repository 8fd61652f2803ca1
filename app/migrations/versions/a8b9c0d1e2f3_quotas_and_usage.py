"""per-key quotas, and the usage ledger

Revision ID: a8b9c0d1e2f3
Revises: f3a4b5c6d7e8
Create Date: 2026-12-06 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8b9c0d1e2f3'
down_revision = 'f3a4b5c6d7e8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.add_column(sa.Column('max_concurrent_jobs', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('monthly_minutes', sa.Integer(), nullable=True))
    op.create_table('usage',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('input_bytes', sa.BigInteger(), nullable=False),
    sa.Column('video_seconds', sa.Float(), nullable=False),
    sa.Column('output_bytes', sa.BigInteger(), nullable=False),
    sa.Column('encode_seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('job_id')
    )
    with op.batch_alter_table('usage') as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_usage_created_at'), ['created_at'], unique=False)


def downgrade():
    op.drop_table('usage')
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.drop_column('monthly_minutes')
        batch_op.drop_column('max_concurrent_jobs')
